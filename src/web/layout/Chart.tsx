/**
 * A bar chart drawn on the server as SVG: readable without JavaScript, with a
 * text summary for everyone and the numbers as a table for screen readers
 * and anyone who wants them.
 */
import { formatNumber, plural } from "../kit/format.ts";

export interface ChartProps {
  /** Stable id prefix (unique on the page). */
  id: string;
  title: string;
  /** What is counted, one and many ("signature", "signatures"). */
  unit: { one: string; many: string };
  counts: readonly number[];
  /** Label of each bucket ("Nov 20", "14:00"). */
  labels: readonly string[];
  /** One sentence saying what the chart shows. */
  summary: string;
}

/** A round axis maximum at or above `max` (1, 2, 5 × 10^n). */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const WIDTH = 600;
const HEIGHT = 160;

export function Chart(props: ChartProps) {
  const n = props.counts.length;
  const top = niceMax(Math.max(0, ...props.counts));
  const slot = WIDTH / Math.max(1, n);
  const barW = Math.max(1, slot * 0.8);
  const titleId = `${props.id}-title`;
  const descId = `${props.id}-desc`;
  // Axis labels are HTML, not SVG text: the drawing stretches to the width
  // of the page, which would distort text inside it.
  const ticks = n <= 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1];
  return (
    <figure class="chart" id={props.id}>
      <figcaption>
        <strong>{props.title}</strong> <span class="chart-summary">{props.summary}</span>
      </figcaption>
      <div class="chart-plot">
        <div class="chart-y" aria-hidden="true">
          <span>{formatNumber(top)}</span>
          <span>0</span>
        </div>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          role="img"
          aria-labelledby={`${titleId} ${descId}`}
          class="chart-svg"
          preserveAspectRatio="none"
        >
          <title id={titleId}>{props.title}</title>
          <desc id={descId}>{props.summary}</desc>
          <line class="chart-grid" x1={0} y1={0.5} x2={WIDTH} y2={0.5} />
          <line class="chart-axis" x1={0} y1={HEIGHT - 0.5} x2={WIDTH} y2={HEIGHT - 0.5} />
          {props.counts.map((count, i) => {
            const h = (count / top) * (HEIGHT - 1);
            return (
              <rect class="chart-bar" x={i * slot + (slot - barW) / 2} y={HEIGHT - 1 - h} width={barW} height={h}>
                <title>{`${props.labels[i] ?? ""}: ${plural(count, props.unit.one, props.unit.many)}`}</title>
              </rect>
            );
          })}
        </svg>
        <div class="chart-x" aria-hidden="true">
          {ticks.map((i) => (
            <span>{props.labels[i]}</span>
          ))}
        </div>
      </div>
      <details class="chart-data">
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">{props.unit.many[0]!.toUpperCase() + props.unit.many.slice(1)}</th>
            </tr>
          </thead>
          <tbody>
            {props.counts.map((count, i) => (
              <tr>
                <td>{props.labels[i]}</td>
                <td>{formatNumber(count)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
