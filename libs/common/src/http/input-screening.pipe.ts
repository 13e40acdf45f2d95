import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import { InvalidInput } from '../errors/tenant-errors';
import { screenInput } from '../input/input-screening';

const REQUEST_INPUT: ReadonlySet<ArgumentMetadata['type']> = new Set(['body', 'query', 'param']);

/**
 * Runs before validation on every body, query and path parameter of every route: a control
 * character (PostgreSQL refuses U+0000) or an unpaired surrogate in any string or field name, or
 * nesting deeper than class-transformer's recursion survives, is a 400 naming the field.
 */
@Injectable()
export class InputScreeningPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (!REQUEST_INPUT.has(metadata.type)) return value;
    const problem = screenInput(value, metadata.type === 'body' ? '' : (metadata.data ?? ''));
    if (problem) throw new InvalidInput(problem);
    return value;
  }
}
