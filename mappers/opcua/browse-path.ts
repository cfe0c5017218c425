import {
  BrowseDirection,
  NodeClassMask,
  type BrowseResult,
  type ClientSession,
  type ReferenceDescription,
} from 'node-opcua';

/**
 * Resolves a visitor's `browseName` (used when it has no nodeID) to a node id on the server. The
 * browse name is a path below the Objects folder with `/` between levels, each level either a
 * plain name (any namespace matches: users see names, not namespace indexes, in UaExpert) or
 * `<ns>:<name>` to pin the namespace, e.g. `AirConditioner_1/Temperature` or `3:Temperature`.
 * Throws an Error naming the level that was not found.
 */
export async function resolveBrowsePath(session: ClientSession, path: string): Promise<string> {
  const levels = path.split('/').filter((l) => l.length > 0);
  if (levels.length === 0) throw new Error(`browse path ${JSON.stringify(path)} is empty`);
  let current = 'i=85'; // ObjectsFolder
  let walked = 'Objects';
  for (const level of levels) {
    const pinned = /^(\d+):(.+)$/.exec(level);
    const name = pinned ? pinned[2]! : level;
    const ns = pinned ? Number(pinned[1]) : undefined;
    const children = await childrenOf(session, current);
    const match = children.find(
      (r) => r.browseName.name === name && (ns === undefined || r.browseName.namespaceIndex === ns),
    );
    if (!match) throw new Error(`browse path ${JSON.stringify(path)}: ${walked} has no child ${JSON.stringify(level)}`);
    current = match.nodeId.toString();
    walked = `${walked}/${level}`;
  }
  return current;
}

async function childrenOf(session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  let result: BrowseResult = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: NodeClassMask.Object | NodeClassMask.Variable,
    resultMask: 0x3f,
  });
  const refs = [...(result.references ?? [])];
  while (result.continuationPoint && result.continuationPoint.length > 0) {
    result = await session.browseNext(result.continuationPoint, false);
    refs.push(...(result.references ?? []));
  }
  return refs;
}
