// A time-series chart (uPlot): one line per series, redrawn in place when the data changes (the
// plot is made once per set of series, so live updates allocate nothing but the new arrays).
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const PALETTE = ['#1f5eff', '#12b886', '#f59f00', '#e8590c', '#ae3ec9', '#0ca678', '#d6336c', '#495057'];

export function Chart({ title, series, data, unit = '', height = 220 }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = series.join('|');
  // The axes and grid take the theme's colours when the plot is made: made again on a change.
  const [theme, setTheme] = useState(0);
  useEffect(() => {
    const changed = () => setTheme((t) => t + 1);
    const media = matchMedia('(prefers-color-scheme: dark)');
    addEventListener('metanode-theme', changed);
    media.addEventListener('change', changed);
    return () => { removeEventListener('metanode-theme', changed); media.removeEventListener('change', changed); };
  }, []);

  useEffect(() => {
    const element = box.current;
    const style = getComputedStyle(document.documentElement);
    const axis = { stroke: style.getPropertyValue('--muted').trim() || '#888', grid: { stroke: style.getPropertyValue('--grid').trim() || '#8882' }, ticks: { show: false } };
    const options = {
      width: element.clientWidth || 600,
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [axis, { ...axis, values: (u, ticks) => ticks.map((v) => `${v}${unit}`) }],
      series: [{}, ...series.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: false }))],
    };
    plot.current = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key, height, unit, theme]);

  useEffect(() => { plot.current?.setData(data); }, [data]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} class="chart-box" />
    </figure>
  );
}
