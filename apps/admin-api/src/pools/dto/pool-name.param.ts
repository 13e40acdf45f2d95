import { Matches } from 'class-validator';

export class PoolNameParam {
  @Matches(/^[a-z][a-z0-9-]{0,39}$/, { message: 'pool name must be lowercase letters, digits or -, starting with a letter (at most 40)' })
  name: string;
}
