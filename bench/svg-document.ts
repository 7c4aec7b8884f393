// The parts every bench chart's SVG shares: XML escaping, coordinates
// rounded to 0.1, text elements, the title block, footnotes and the
// document itself. The charts (bench/e2e/chart-svg.ts, bench/soak/plot-svg.ts)
// draw their panels; this draws around them.

export const WIDTH = 1000;
export const PAD = 20;
export const LINE = 16;
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A coordinate as SVG text, rounded to 0.1. */
export const n = (x: number): string => (Math.round(x * 10) / 10).toString();

export function text(x: number, y: number, s: string, attrs: string): string {
  return `<text x="${n(x)}" y="${n(y)}" ${attrs}>${escapeXml(s)}</text>`;
}

/** Title and subtitle lines into `body`; returns the y of the last line. */
export function titleBlock(body: string[], title: string, subtitle: readonly string[]): number {
  let y = PAD + 18;
  body.push(text(PAD, y, title, 'class="title" font-size="18" font-weight="bold"'));
  for (const line of subtitle) {
    y += LINE;
    body.push(text(PAD, y, line, 'class="subtitle" font-size="12" fill="#444"'));
  }
  return y;
}

/** Footnote lines below `y` into `body`, then the whole document (UTF-8 text). */
export function svgDocument(body: string[], y: number, footnotes: readonly string[]): string {
  for (const f of footnotes) {
    y += LINE;
    body.push(text(PAD, y, f, 'class="footnote" font-size="11" fill="#444"'));
  }
  const height = Math.ceil(y + PAD);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
