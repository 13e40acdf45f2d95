import { applyDecorators } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';

// A DNS name (compose service names may hold underscores) or an IPv4 address: the engines and business
// services put it in connection URLs as host:port, where '/', '@', ':' or a space would change their meaning.
const SERVER_HOST = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?$/;

/** A server's or a pooler's host as the API takes it. */
export function IsServerHost(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(SERVER_HOST, { message: ({ property }) => `${property} must be a DNS name or an IPv4 address (letters, digits, '.', '-', '_'; at most 255)` }),
  );
}
