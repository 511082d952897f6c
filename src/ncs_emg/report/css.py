"""The report's inline style sheet: readable on a laptop, printable on A4."""

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d0d4d9; --warn: #fff4e5; --warn-line: #e69f00;
        --ok: #e8f4ea; --bad: #fde7e1; --ne: #eeeeee; }
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
body { max-width: 1100px; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.55rem; margin: 0.6rem 0 0.2rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.3rem 0 0.4rem; }
.disclaimer { background: var(--warn); border-left: 5px solid var(--warn-line); padding: 0.6rem 0.9rem;
              margin: 0 0 1rem; font-weight: 600; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; margin: 0.5rem 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.tablewrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; margin: 0.4rem 0 1rem; font-size: 0.86rem; }
th, td { border: 1px solid var(--line); padding: 0.22rem 0.45rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #f4f6f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.v-definite, td.v-probable, td.v-present, td.v-true { background: var(--bad); }
td.v-none, td.v-false { background: var(--ok); }
td.v-not_evaluable, td.v-null { background: var(--ne); }
figure { margin: 0.6rem 0 1rem; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.85rem; }
.nerve { border-top: 1px solid var(--line); }
.small { font-size: 0.8rem; color: var(--muted); }
.issues li { margin: 0.1rem 0; }
pre { white-space: pre-wrap; font-size: 0.8rem; background: #f7f7f7; padding: 0.5rem; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  section.nerve { break-before: page; }
  figure, table, .disclaimer { break-inside: avoid; }
  .tablewrap { overflow: visible; }
  table { font-size: 8pt; }
  figure svg { max-height: 120mm; width: auto; }
  a { color: inherit; text-decoration: none; }
}
"""
