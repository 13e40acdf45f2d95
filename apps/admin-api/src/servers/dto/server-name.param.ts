import { Matches } from 'class-validator';

export class ServerNameParam {
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'server name must be lowercase letters, digits or -, starting with a letter (at most 40)' })
  name: string;
}
