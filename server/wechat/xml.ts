// WeChat's XML: parsed safely (no DTDs, no entities beyond XML's own) and built with CDATA as the platform does.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../core/errors.ts';

/** The child elements of a message's <xml> root; `Articles.item` is always a list. */
export type WechatFields = Record<string, unknown>;

// The platform's messages nest four deep (xml, Articles, item, Title); anything far deeper is refused.
const MAX_DEPTH = 32;

const parser = new XMLParser({
  ignoreAttributes: true,
  maxNestedTags: MAX_DEPTH,
  // Ids such as MsgId are 64-bit: keep every value as the string it is.
  parseTagValue: false,
  processEntities: true,
  htmlEntities: false,
  isArray: (_name, jpath) => jpath === 'xml.Articles.item',
});

const builder = new XMLBuilder({ cdataPropName: '#cdata', format: false });

/** Parses a message; a malformed document, one nested too deep, a DTD or an entity declaration is a bad request. */
export function parseWechatXml(text: string): WechatFields {
  // The platform never sends a DTD; refusing them outright rules out XXE and entity expansion.
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new AppError('bad_request', 'DTDs and entity declarations are not accepted.');
  if (!text.trim()) throw new AppError('bad_request', 'The body is empty; expected an <xml> message.');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new AppError('bad_request', `Malformed XML at line ${valid.err.line}: ${valid.err.msg}`);
  let doc: { xml?: unknown };
  try {
    doc = parser.parse(text) as { xml?: unknown };
  } catch (err) {
    // What the parser refuses past the validator (elements nested deeper than MAX_DEPTH) is the sender's mistake too.
    throw new AppError('bad_request', `The XML cannot be read: ${(err as Error).message} (at most ${MAX_DEPTH} levels).`);
  }
  if (typeof doc.xml !== 'object' || doc.xml === null) throw new AppError('bad_request', 'The root element must be <xml> with child elements.');
  return doc.xml as WechatFields;
}

/** A field as text, or undefined when it is missing or not text. */
export function field(fields: WechatFields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

type XmlValue = string | number | { '#cdata': string } | XmlObject | XmlObject[];
type XmlObject = { [name: string]: XmlValue };

// Characters XML 1.0 cannot carry at all, even in CDATA: a reply holding one would be refused as malformed.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text as XML can carry it: characters it cannot are dropped, lone surrogates become U+FFFD. */
export const xmlText = (text: string) => text.replace(LONE_SURROGATE, '\ufffd').replace(NOT_XML, '');

/** Text wrapped in CDATA, as the platform writes strings (see xmlText). */
export const cdata = (text: string) => ({ '#cdata': xmlText(text) });

/** Builds `<xml>…</xml>` from fields in order. */
export function buildWechatXml(fields: XmlObject): string {
  return builder.build({ xml: fields }) as string;
}
