// Input validation of the chat contract at the boundary: the socket and HTTP transports parse the chat's untrusted input here; the platform API (platform/) parses its own, answered with errcodes.
import { z } from 'zod';
import type { Inbound } from '../contract.ts';
import { AppError } from './errors.ts';
import { MAX_TEXT_LENGTH } from '../limits.ts';
import { isSafeLink, LINK_RULE } from '../links.ts';
import { describeIssues, idSchema } from '../schemas.ts';

export { describeIssues, isValidId } from '../schemas.ts';

const clientId = idSchema.optional();

const textInbound = z.object({
  type: z.literal('text'),
  text: z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(MAX_TEXT_LENGTH, { error: `must be at most ${MAX_TEXT_LENGTH} characters` }),
  optionId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(128).optional(),
  clientId,
});

// A link the chat window or the platform can fetch: same-site paths or http(s).
const linkSchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(1024)
  .refine(isSafeLink, { error: LINK_RULE });

const imageInbound = z.object({
  type: z.literal('image'),
  url: linkSchema,
  mediaId: z.string({ error: 'must be a string' }).min(1).max(128).optional(),
  clientId,
});

const plainEvent = z.object({
  type: z.literal('event'),
  event: z.enum(['subscribe', 'unsubscribe']),
  clientId,
});

const clickEvent = z.object({
  type: z.literal('event'),
  event: z.literal('click'),
  key: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(128),
  clientId,
});

const viewEvent = z.object({
  type: z.literal('event'),
  event: z.literal('view'),
  url: linkSchema,
  clientId,
});

const scanEvent = z.object({
  type: z.literal('event'),
  event: z.literal('scan'),
  ticket: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9_=+\/-]{1,128}$/, { error: 'must be a ticket from qrcode/create' }),
  clientId,
});

const degrees = (max: number) => z.number({ error: 'must be a number' }).min(-max, { error: `must be from -${max} to ${max}` }).max(max, { error: `must be from -${max} to ${max}` });

const locationInbound = z.object({
  type: z.literal('location'),
  latitude: degrees(90),
  longitude: degrees(180),
  // WeChat's map zoom levels.
  scale: z.number({ error: 'must be a number' }).int({ error: 'must be a whole number' }).min(1).max(20).optional(),
  label: z.string({ error: 'must be a string' }).trim().max(200).optional(),
  clientId,
});

const linkInbound = z.object({
  type: z.literal('link'),
  title: z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }).max(200),
  description: z.string({ error: 'must be a string' }).trim().max(1000).optional(),
  url: linkSchema.refine((url) => /^https?:\/\//i.test(url), { error: 'must be an http(s) URL' }),
  clientId,
});

const inboundSchema = z.union([textInbound, imageInbound, plainEvent, clickEvent, viewEvent, scanEvent, locationInbound, linkInbound]);
const messageSchemas = new Map<unknown, z.ZodType>([
  ['text', textInbound],
  ['image', imageInbound],
  ['location', locationInbound],
  ['link', linkInbound],
]);
// A Map, not an object: an event named "toString" must not find Object.prototype's.
const eventSchemas = new Map<unknown, z.ZodType>([
  ['click', clickEvent],
  ['view', viewEvent],
  ['scan', scanEvent],
]);

/** Parses an untrusted inbound message, or throws an AppError saying what is wrong with it. */
export function parseInbound(input: unknown): Inbound {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppError('bad_request', 'A message must be a JSON object such as {"type":"text","text":"hello"}.');
  }
  const type = (input as { type?: unknown }).type;
  // Pick the schema by shape first, so the error talks about the message the client meant to send.
  const event = (input as { event?: unknown }).event;
  const schema = type === 'event' ? (eventSchemas.get(event) ?? plainEvent) : (messageSchemas.get(type) ?? inboundSchema);
  const result = schema.safeParse(input);
  if (result.success) return result.data as Inbound;
  if (type !== 'event' && !messageSchemas.has(type)) {
    throw new AppError('bad_request', 'type: must be "text", "image", "location", "link" or "event".');
  }
  const tooLong = result.error.issues.some((issue) => issue.code === 'too_big' && issue.path[0] === 'text');
  throw new AppError(tooLong ? 'too_long' : 'bad_request', describeIssues(result.error));
}

/** Checks a user, section or rule id; `what` names it in the error. */
export function parseId(input: unknown, what: string): string {
  const result = idSchema.safeParse(input);
  if (!result.success) throw new AppError('bad_request', `${what}: ${describeIssues(result.error)}`);
  return result.data;
}
