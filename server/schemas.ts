// Zod pieces every layer uses: the id format and readable issue messages. They import nothing of ours, so
// the content and the store can use them without pulling in the transport's errors.
import { z } from 'zod';

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A user, section, rule or client id: 1..64 characters of [A-Za-z0-9_-]. */
export const idSchema = z
  .string({ error: 'must be a string' })
  .regex(ID_PATTERN, { error: 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"' });

/** Whether `input` is an id of the format above. */
export function isValidId(input: unknown): input is string {
  return typeof input === 'string' && ID_PATTERN.test(input);
}

/** Formats zod issues as "field: problem; …" so an error names what was wrong. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
