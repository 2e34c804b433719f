// An SVG bar chart of the bot's throughput against stored history.

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** `references`: dashed lines for other servers' throughput in the same run (the echo servers at 100 users). */
export function historyChart(points: Array<{ storedMessages: number; msgsPerSec: number }>, references: Array<{ label: string; msgsPerSec: number }>): string {
  const width = 560;
  const height = 320;
  const left = 70;
  const bottom = 50;
  const top = 40;
  const max = Math.max(...points.map((p) => p.msgsPerSec), ...references.map((r) => r.msgsPerSec), 1) * 1.15;
  const plotHeight = height - top - bottom;
  const slot = (width - left - 20) / points.length;
  const y = (value: number) => top + plotHeight - (value / max) * plotHeight;
  const bars = points.map((p, i) => {
    const x = left + i * slot + slot * 0.2;
    const label = p.storedMessages >= 1_000_000 ? `${p.storedMessages / 1_000_000}M` : p.storedMessages >= 1000 ? `${p.storedMessages / 1000}k` : String(p.storedMessages);
    return [
      `<rect x="${x}" y="${y(p.msgsPerSec)}" width="${slot * 0.6}" height="${top + plotHeight - y(p.msgsPerSec)}" fill="#07c160"/>`,
      `<text x="${x + slot * 0.3}" y="${y(p.msgsPerSec) - 6}" text-anchor="middle" font-size="13">${p.msgsPerSec}</text>`,
      `<text x="${x + slot * 0.3}" y="${height - bottom + 20}" text-anchor="middle" font-size="13">${escape(label)} stored</text>`,
    ].join('');
  });
  const lines = references.map(
    ({ label, msgsPerSec }) =>
      `<line x1="${left}" x2="${width - 20}" y1="${y(msgsPerSec)}" y2="${y(msgsPerSec)}" stroke="#888" stroke-dasharray="6 4"/><text x="${width - 22}" y="${y(msgsPerSec) - 6}" text-anchor="end" font-size="12" fill="#666">${escape(label)}: ${msgsPerSec}/s</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Bot throughput (messages/s, 100 users) against stored history</text>
<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotHeight}" stroke="#333"/>
<line x1="${left}" x2="${width - 20}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="#333"/>
<text x="18" y="${top + plotHeight / 2}" font-size="12" transform="rotate(-90 18 ${top + plotHeight / 2})" text-anchor="middle">messages per second</text>
${bars.join('\n')}
${lines.join('\n')}
</svg>
`;
}
