// What a run record's byte counters are called where people read them (reports, the console): the link and
// its direction, not the record's field names.

const LABELS: Readonly<Record<string, string>> = {
  deviceEdge: 'device ↔ edge',
  deviceEdgeUp: 'device → edge',
  deviceEdgeDown: 'edge → device',
  edgeCloud: 'edge ↔ cloud',
  edgeCloudUp: 'edge → cloud',
  edgeCloudDown: 'cloud → edge',
  deviceCloud: 'device ↔ cloud',
  deviceCloudUp: 'device → cloud',
  deviceCloudDown: 'cloud → device',
  evaluation: 'evaluation (all links)',
  evaluationDeviceEdgeUp: 'evaluation device → edge',
  evaluationDeviceEdgeDown: 'evaluation edge → device',
  evaluationEdgeCloudUp: 'evaluation edge → cloud',
  evaluationEdgeCloudDown: 'evaluation cloud → edge',
  control: 'control messages (device ↔ edge)',
};

/** `deviceEdgeDown` → `edge → device`; a counter without a label reads as words. */
export function byteCounterLabel(counter: string): string {
  return LABELS[counter] ?? counter.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
