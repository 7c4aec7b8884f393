// The bench's SVG charts parsed back for tests (fast-xml-parser): the
// document must be well-formed with an <svg> root; elements that may repeat
// always come as arrays.
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface SvgNode {
  [key: string]: unknown;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name) => ['g', 'rect', 'text', 'line', 'polyline'].includes(name),
});

/** The <svg> root of a well-formed document. */
export function parseSvg(svg: string): SvgNode {
  assert.equal(XMLValidator.validate(svg), true, 'well-formed XML');
  const doc = parser.parse(svg) as { svg?: SvgNode };
  assert.ok(doc.svg, 'an <svg> root');
  return doc.svg;
}

/** The child elements named `key` (none: an empty list). */
export const list = (n: SvgNode, key: string): SvgNode[] => (n[key] as SvgNode[] | undefined) ?? [];
