// The report's stylesheet, inlined so the page needs nothing but itself (system fonts, no web fonts).

export const REPORT_STYLE = `
:root { color-scheme: light; --ink: #111827; --muted: #6b7280; --line: #e5e7eb; --card: #ffffff; --bg: #f5f6f8; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 48px; }
header.report { background: var(--card); border: 1px solid var(--line); border-top: 4px solid var(--accent); border-radius: 8px; padding: 18px 22px; }
.eyebrow { margin: 0; color: var(--muted); font-size: 12px; letter-spacing: .06em; text-transform: uppercase; }
h1 { margin: 2px 0 4px; font-size: 24px; }
.subtitle { margin: 0 0 14px; color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px 18px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; }
dl.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
dl.environment dd { font-weight: 400; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
h2 { font-size: 18px; margin: 32px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 18px 0 8px; color: #374151; }
section.card, .chart-card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
section.card { padding: 14px 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 14px; }
.chart-card { margin: 0; padding: 8px; }
.chart-card svg { display: block; width: 100%; height: auto; }
.chart-card.wide { grid-column: 1 / -1; }
table { border-collapse: collapse; width: 100%; background: var(--card); font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
thead th { background: #f9fafb; color: #374151; font-weight: 600; position: sticky; top: 0; }
tbody tr:hover { background: #f9fafb; }
.num { text-align: right; }
.strong { font-weight: 600; }
.gap.better { color: #15803d; }
.gap.worse { color: #b91c1c; }
.muted { color: var(--muted); }
.scroll { max-height: 480px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
.table-card { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; vertical-align: baseline; }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 14px; }
figure.artifact { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
figure.artifact img { display: block; width: 100%; height: auto; image-rendering: auto; background: #000; }
figure.artifact .placeholder { display: flex; align-items: center; justify-content: center; min-height: 120px; color: var(--muted); background: #f3f4f6; }
figcaption { padding: 8px 10px; font-size: 13px; }
figcaption .path { display: block; color: var(--muted); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 11px; overflow-wrap: anywhere; }
details { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; margin-top: 10px; }
summary { cursor: pointer; font-weight: 600; }
pre.json { margin: 10px 0 4px; max-height: 600px; overflow: auto; font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre; }
@media print { body { background: #fff; } .scroll { max-height: none; } }
`;
