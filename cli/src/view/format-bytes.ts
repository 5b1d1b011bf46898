// Bytes per second as the viewing tables print them (`strata view`, `strata view-simulate`).

export function formatBytes(perSecond: number): string {
  if (perSecond === 0) return '0';
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} MB/s` : `${(perSecond / 1e3).toFixed(1)} kB/s`;
}
