import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatNumber } from '../i18n';
import { Empty, Section } from '../ui';

/** A section with a bar chart, or `empty` instead when there is nothing to chart. */
export function ChartSection({
  title,
  empty,
  ...chart
}: {
  title: string;
  empty: string | undefined;
  label: string;
  rows: ChartRow[];
  unit?: string;
}) {
  return <Section title={title}>{empty ? <Empty>{empty}</Empty> : <Chart {...chart} />}</Section>;
}

export interface ChartRow {
  name: string;
  value: number;
  colour: string;
}

function Chart({ label, rows, unit }: { label: string; rows: ChartRow[]; unit?: string }) {
  const shown = (value: unknown) => `${typeof value === 'number' ? formatNumber(value) : String(value)}${unit ?? ''}`;
  const summary = `${label}: ${rows.map((row) => `${row.name} ${shown(row.value)}`).join(', ')}`;
  return (
    <div className="chart" role="img" aria-label={summary}>
      <ResponsiveContainer width="100%" height={240}>
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 8, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="name" interval={0} tick={{ fontSize: 11 }} angle={-25} textAnchor="end" height={64} />
          <YAxis
            allowDecimals={false}
            unit={unit}
            width={44}
            tick={{ fontSize: 11 }}
            tickFormatter={(value: number) => formatNumber(value)}
          />
          <Tooltip formatter={shown} />
          <Bar dataKey="value" isAnimationActive={false}>
            {rows.map((row) => (
              <Cell key={row.name} fill={row.colour} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
