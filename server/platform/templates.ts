// Template messages (message/template/send): the account's templates, optionally listed in a data file
// (TEMPLATES_FILE, the shape of the platform's get_all_private_template answer) and kept in the store as
// records of kind `templates`, the card shown in the chat, and the TEMPLATESENDJOBFINISH event the platform
// pushes once it has delivered one.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Outbound, TemplateData } from '../contract.ts';
import { describeIssues } from '../core/validation.ts';
import type { ChatStore, Records } from '../store/chat-store.ts';
import { buildWechatXml, cdata } from '../wechat/xml.ts';
import { PlatformError } from './errors.ts';

/** A template as get_all_private_template lists it; the industries and example only when the file gives them. */
export type Template = { template_id: string; title: string; content: string; primary_industry?: string; deputy_industry?: string; example?: string };

const fileSchema = z.object({
  template_list: z.array(
    z.object({ template_id: z.string().min(1), title: z.string(), content: z.string(), primary_industry: z.string().optional(), deputy_industry: z.string().optional(), example: z.string().optional() }).loose(),
  ),
});

/**
 * The account's templates, by id, as records every process sharing the store reads (and later calls may
 * change): written from TEMPLATES_FILE at start-up. Without a file, any template id is accepted.
 */
export class AccountTemplates {
  private readonly records: Records<Template>;

  constructor(
    store: ChatStore,
    /** The templates TEMPLATES_FILE lists; undefined without one. */
    private readonly listed: Map<string, Template> | undefined,
  ) {
    this.records = store.records<Template>('templates');
  }

  /** Makes the stored templates those of the file: writes each, deletes any the file no longer lists. */
  async store(): Promise<void> {
    if (!this.listed) return;
    for (const template of this.listed.values()) await this.records.put(template.template_id, template);
    for (const { key } of await this.records.list()) if (!this.listed.has(key)) await this.records.delete(key);
  }

  /** GET template/get_all_private_template: the account's templates, as the platform lists them (none without TEMPLATES_FILE). */
  async all(): Promise<object> {
    const templates = (await this.records.list()).map(({ value }) => value).sort((a, b) => a.template_id.localeCompare(b.template_id));
    return { template_list: templates.map((t) => ({ primary_industry: '', deputy_industry: '', example: '', ...t })) };
  }

  /** POST template/del_private_template { template_id }: the template goes until the next start-up reads TEMPLATES_FILE again. */
  async delete(body: Record<string, unknown>): Promise<void> {
    const id = body.template_id;
    if (typeof id !== 'string' || !id || !(await this.records.get(id))) throw new PlatformError(40037, 'the account has no template with this template_id');
    await this.records.delete(id);
  }

  /** The template with that id; 40037 for one the account does not have. Undefined when any id is accepted. */
  async find(templateId: string): Promise<Template | undefined> {
    if (!this.listed) return undefined;
    const template = await this.records.get(templateId);
    if (!template) throw new PlatformError(40037, 'not a template listed in TEMPLATES_FILE');
    return template;
  }
}

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
  return new Map(
    result.data.template_list.map(({ template_id, title, content, primary_industry, deputy_industry, example }) => [
      template_id,
      { template_id, title, content, ...(primary_industry === undefined ? {} : { primary_industry }), ...(deputy_industry === undefined ? {} : { deputy_industry }), ...(example === undefined ? {} : { example }) },
    ]),
  );
}

const bodySchema = z.object({
  touser: z.string({ error: 'must be a string' }),
  template_id: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
  url: z.string().optional(),
  data: z.record(z.string(), z.object({ value: z.union([z.string(), z.number()]).transform(String), color: z.string().optional() })),
});

export type TemplateSend = { touser: string; outbound: Outbound & { type: 'template' } };

/** Checks a template/send body against the account's templates (40037 for one it does not have) and builds the card the chat shows. */
export async function templateMessage(body: unknown, templates: AccountTemplates): Promise<TemplateSend> {
  const touser = (body as { touser?: unknown } | null)?.touser;
  if (typeof touser !== 'string' || touser === '') throw new PlatformError(40003, 'touser is missing');
  const result = bodySchema.safeParse(body);
  if (!result.success) {
    const templateIdWrong = result.error.issues.some((issue) => issue.path[0] === 'template_id');
    throw new PlatformError(templateIdWrong ? 40037 : 47001, describeIssues(result.error));
  }
  const { template_id, url, data } = result.data;
  const template = await templates.find(template_id);
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
