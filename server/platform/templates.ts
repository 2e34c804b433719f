// Template messages (message/template/send): the account's templates, optionally listed in a data file
// (TEMPLATES_FILE, the shape of the platform's get_all_private_template answer), the card shown in the chat,
// and the TEMPLATESENDJOBFINISH event the platform pushes once it has delivered one.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Outbound, TemplateData } from '../contract.ts';
import { describeIssues } from '../core/validation.ts';
import { buildWechatXml, cdata } from '../wechat/xml.ts';
import { PlatformError } from './errors.ts';

export type Template = { template_id: string; title: string; content: string };

const fileSchema = z.object({
  template_list: z.array(z.object({ template_id: z.string().min(1), title: z.string(), content: z.string() }).loose()),
});

/** Reads a templates file; throws naming the file and what is wrong with it. */
export function loadTemplates(file: string): Map<string, Template> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const result = fileSchema.safeParse(parsed);
  if (!result.success) throw new Error(`${file}: ${describeIssues(result.error)} (expected { "template_list": [{ "template_id", "title", "content" }] })`);
  return new Map(result.data.template_list.map((t) => [t.template_id, { template_id: t.template_id, title: t.title, content: t.content }]));
}

const bodySchema = z.object({
  touser: z.string({ error: 'must be a string' }),
  template_id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  url: z.string().optional(),
  data: z.record(z.string(), z.object({ value: z.union([z.string(), z.number()]).transform(String), color: z.string().optional() })),
});

export type TemplateSend = { touser: string; outbound: Outbound & { type: 'template' } };

/**
 * Checks a template/send body against the account's templates (any id when `templates` is undefined:
 * 40037 for an unknown one otherwise) and builds the card the chat shows.
 */
export function templateMessage(body: unknown, templates: Map<string, Template> | undefined): TemplateSend {
  const touser = (body as { touser?: unknown } | null)?.touser;
  if (typeof touser !== 'string' || touser === '') throw new PlatformError(40003, 'touser is missing');
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const templateIdWrong = result.error.issues.some((issue) => issue.path[0] === 'template_id');
    throw new PlatformError(templateIdWrong ? 40037 : 47001, describeIssues(result.error));
  }
  const { template_id, url, data } = result.data;
  const template = templates?.get(template_id);
  if (templates && !template) throw new PlatformError(40037, 'not a template listed in TEMPLATES_FILE');
  const outbound: TemplateSend['outbound'] = { type: 'template', templateId: template_id, data: data as TemplateData };
  if (template) Object.assign(outbound, { title: template.title, content: template.content });
  if (url) outbound.url = url;
  return { touser, outbound };
}

/** The event the platform pushes to the account's server once a template message reached the user. */
export function templateFinishedXml(ids: { accountId: string; openId: string; msgId: number; createTime: number }): string {
  return buildWechatXml({
    ToUserName: cdata(ids.accountId),
    FromUserName: cdata(ids.openId),
    CreateTime: ids.createTime,
    MsgType: cdata('event'),
    Event: cdata('TEMPLATESENDJOBFINISH'),
    MsgID: ids.msgId,
    Status: cdata('success'),
  });
}
