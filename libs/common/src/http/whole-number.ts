import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateBy } from 'class-validator';
import { InvalidInput } from '../errors/tenant-errors';

export interface WholeNumberRange {
  min: number;
  max: number;
}

// Decimal digits only: Number() would also take 1e21, 0x10, 1.0 and ' 7 ', and 1e308 is an "integer" to IsInt.
const DIGITS = /^\d{1,15}$/;

/** A query-string whole number within `range`; undefined for anything else (a sign, exponent, fraction, hex, or out of range). */
export function wholeNumberIn(raw: unknown, range: WholeNumberRange): number | undefined {
  if (typeof raw !== 'string' || !DIGITS.test(raw)) return undefined;
  const value = Number(raw);
  return value >= range.min && value <= range.max ? value : undefined;
}

const problem = (field: string, { min, max }: WholeNumberRange) => `${field} must be a whole number from ${min} to ${max}`;

/** A query DTO property holding a whole number within `range`; anything else is a 400 naming the property. */
export function WholeNumber(range: WholeNumberRange): PropertyDecorator {
  return (target, property) => {
    Transform(({ value }: { value: unknown }) => wholeNumberIn(value, range) ?? value)(target, property);
    ValidateBy({
      name: 'wholeNumber',
      validator: {
        validate: (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= range.min && value <= range.max,
        defaultMessage: (args) => problem(args?.property ?? String(property), range),
      },
    })(target, property);
  };
}

/**
 * One query parameter holding a whole number within `range` (`absent` when it is not given); anything
 * else is a 400 naming it. A decorator rather than a pipe: the global ValidationPipe would turn the
 * raw string into a number first, and '1e2' and '0x10' would arrive as 100 and 16.
 */
export const QueryWholeNumber = createParamDecorator((options: { name: string } & WholeNumberRange & { absent: number }, context: ExecutionContext) => {
  const raw = context.switchToHttp().getRequest<{ query: Record<string, unknown> }>().query[options.name];
  if (raw === undefined) return options.absent;
  const value = wholeNumberIn(raw, options);
  if (value === undefined) throw new InvalidInput(problem(options.name, options));
  return value;
});
