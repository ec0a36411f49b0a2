// Small dependency-free charts (SVG and CSS), each with a text alternative.

import { count } from "@/lib/format";
import { cx } from "./ui";

export interface Series {
  key: string;
  label: string;
  color: string; // a CSS color
}

export interface Column {
  label: string; // shown under the bar (thinned when crowded)
  title: string; // full description for the tooltip and the table
  values: Record<string, number>;
}

/** Bars over time, stacked by series; the same figures as a table under "Show as table". */
export function StackedBars({
  columns,
  series,
  caption,
  height = 180,
}: {
  columns: Column[];
  series: Series[];
  caption: string;
  height?: number;
}) {
  const totals = columns.map((c) => series.reduce((sum, s) => sum + (c.values[s.key] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const top = niceCeiling(max);
  const width = Math.max(columns.length, 1) * 10;
  const labelEvery = Math.max(1, Math.ceil(columns.length / 5));
  const total = totals.reduce((a, b) => a + b, 0);

  return (
    <figure className="grid gap-2">
      <div className="flex gap-2">
        <div className="flex flex-col justify-between pb-5 text-right text-[11px] tabular-nums text-slate-400" style={{ height }}>
          <span>{count(top)}</span>
          <span>{count(top / 2)}</span>
          <span>0</span>
        </div>
        <div className="min-w-0 flex-1">
          <svg
            role="img"
            aria-label={`${caption}: ${count(total)} in total over ${columns.length} periods`}
            viewBox={`0 0 ${width} 100`}
            preserveAspectRatio="none"
            className="w-full border-b border-l border-slate-200"
            style={{ height: height - 20 }}
          >
            {[25, 50, 75].map((y) => (
              <line key={y} x1="0" x2={width} y1={y} y2={y} stroke="#e2e8f0" strokeWidth="0.3" vectorEffect="non-scaling-stroke" />
            ))}
            {columns.map((column, i) => {
              let y = 100;
              return (
                <g key={column.title}>
                  <title>{`${column.title}: ${series.map((s) => `${s.label} ${column.values[s.key] ?? 0}`).join(", ")}`}</title>
                  {series.map((s) => {
                    const h = ((column.values[s.key] ?? 0) / top) * 100;
                    y -= h;
                    return h > 0 ? <rect key={s.key} x={i * 10 + 1.5} width={7} y={y} height={h} fill={s.color} /> : null;
                  })}
                </g>
              );
            })}
          </svg>
          <div className="mt-1 flex text-[10px] text-slate-400" aria-hidden="true">
            {columns.map((column, i) => (
              <span key={column.title} className="flex min-w-0 flex-1 justify-center overflow-visible whitespace-nowrap">
                {i % labelEvery === 0 ? column.label : ""}
              </span>
            ))}
          </div>
        </div>
      </div>
      <figcaption className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600">
        {series.map((s) => (
          <span key={s.key} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="h-2.5 w-2.5 rounded-sm" style={{ background: s.color }} />
            {s.label}
          </span>
        ))}
      </figcaption>
      <details className="text-sm">
        <summary className="cursor-pointer text-xs text-slate-500">Show as table</summary>
        <div className="mt-2 max-h-64 overflow-auto">
          <table className="w-full text-left text-xs">
            <caption className="sr-only">{caption}</caption>
            <thead>
              <tr className="text-slate-500">
                <th scope="col" className="py-1 pr-3 font-medium">
                  Period
                </th>
                {series.map((s) => (
                  <th key={s.key} scope="col" className="py-1 pr-3 text-right font-medium">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody className="tabular-nums">
              {columns.map((column) => (
                <tr key={column.title} className="border-t border-slate-100">
                  <th scope="row" className="py-1 pr-3 font-normal">
                    {column.title}
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="py-1 pr-3 text-right">
                      {count(column.values[s.key] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/** Labelled horizontal bars, longest = full width. */
export function BarList({
  items,
  color = "bg-indigo-500",
  label,
}: {
  items: { key: string; label: React.ReactNode; value: number; hint?: string }[];
  color?: string;
  label: string;
}) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <ul className="grid gap-2" aria-label={label}>
      {items.map((item) => (
        <li key={item.key} className="grid gap-1">
          <div className="flex items-baseline justify-between gap-3 text-sm">
            <span className="min-w-0 truncate">{item.label}</span>
            <span className="shrink-0 tabular-nums text-slate-700" title={item.hint}>
              {count(item.value)}
            </span>
          </div>
          <div className="h-2 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
            <div className={cx("h-full rounded-full", color)} style={{ width: `${(item.value / max) * 100}%` }} />
          </div>
        </li>
      ))}
    </ul>
  );
}

/** One bar split into parts (e.g. ready / pending / failed), with a legend. */
export function SplitBar({ parts, label }: { parts: { key: string; label: string; value: number; color: string }[]; label: string }) {
  const total = parts.reduce((sum, p) => sum + p.value, 0);
  return (
    <div className="grid gap-2">
      <div
        className="flex h-3 overflow-hidden rounded-full bg-slate-100"
        role="img"
        aria-label={`${label}: ${parts.map((p) => `${p.label} ${p.value}`).join(", ")}`}
      >
        {total > 0 &&
          parts.map((p) =>
            p.value > 0 ? <div key={p.key} style={{ width: `${(p.value / total) * 100}%`, background: p.color }} /> : null,
          )}
      </div>
      <div className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600">
        {parts.map((p) => (
          <span key={p.key} className="inline-flex items-center gap-1.5">
            <span aria-hidden="true" className="h-2.5 w-2.5 rounded-sm" style={{ background: p.color }} />
            {p.label} <span className="tabular-nums text-slate-900">{count(p.value)}</span>
          </span>
        ))}
      </div>
    </div>
  );
}

/** 1, 2, 5 x 10^n at or above `value`: round axis tops. */
export function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}
