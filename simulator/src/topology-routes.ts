// The links between a topology's nodes. Each region with a backhaul has one shared link to the core network;
// each device has its own access link; an edge may have a link to its devices that they all share. A device
// reaches its edge over its access link, both regions' backhauls when the edge is in another region, and the
// edge's link; an edge reaches the cloud over its region's backhaul and
// the cloud region's (an edge in the cloud's region is co-located: no link at all). Traffic to an edge in the
// cloud's region is device-cloud traffic: that is how a flat, cloud-only deployment is described.

import type { SeededRandom } from '@strata/shared';
import { LinkPipe, type LinkDirection } from './link-pipe.js';
import type { Hop, Route } from './sim-network.js';
import type { DeviceGroup, EdgeSpec, Topology } from './topology-schema.js';

export class TopologyRoutes {
  private readonly backhauls = new Map<string, LinkPipe>();
  private readonly edgeLinks = new Map<string, LinkPipe>();
  private readonly accessRandom: SeededRandom;

  constructor(
    private readonly topology: Topology,
    random: SeededRandom,
  ) {
    for (const [region, { backhaul }] of Object.entries(topology.regions)) {
      if (backhaul !== undefined) this.backhauls.set(region, new LinkPipe(topology.links[backhaul], random.fork(`backhaul:${region}`)));
    }
    for (const edge of topology.edges) {
      if (edge.link !== undefined) this.edgeLinks.set(edge.id, new LinkPipe(topology.links[edge.link], random.fork(`edge:${edge.id}`)));
    }
    this.accessRandom = random.fork('access');
  }

  /** The route from an edge in `region` to the cloud. */
  edgeRoute(region: string): Route {
    return { tier: 'edgeCloud', ...this.between(region, this.topology.cloud.region, [], []) };
  }

  /** The route from a new device of `group` (with its own access link) to its edge. */
  deviceRoute(group: DeviceGroup, edge: EdgeSpec): Route {
    const access = new LinkPipe(this.topology.links[group.link], this.accessRandom);
    const tier = this.coLocated(edge.region) ? 'deviceCloud' : 'deviceEdge';
    const edgeLink = this.edgeLinks.get(edge.id);
    return { tier, ...this.between(group.region ?? edge.region, edge.region, [access], edgeLink ? [edgeLink] : []) };
  }

  /** Whether an edge in `region` shares the cloud's site. */
  coLocated(region: string): boolean {
    return region === this.topology.cloud.region;
  }

  /** Up: the lower node's own links, its region's backhaul up, the upper region's backhaul down, the upper node's links. */
  private between(lower: string, upper: string, lowerLinks: LinkPipe[], upperLinks: LinkPipe[]): Pick<Route, 'up' | 'down'> {
    const up: Hop[] = lowerLinks.map((pipe) => hop(pipe, 'up'));
    if (lower !== upper) {
      const out = this.backhauls.get(lower);
      const into = this.backhauls.get(upper);
      if (out) up.push(hop(out, 'up'));
      if (into) up.push(hop(into, 'down'));
    }
    for (const pipe of upperLinks) up.push(hop(pipe, 'up'));
    const down = up
      .slice()
      .reverse()
      .map((h) => hop(h.pipe, h.direction === 'up' ? 'down' : 'up'));
    return { up, down };
  }
}

function hop(pipe: LinkPipe, direction: LinkDirection): Hop {
  return { pipe, direction };
}
