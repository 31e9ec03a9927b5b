// Answers client IQs by namespace; anything the simulator does not model gets a generic empty result.
import { type BinaryNode, getBinaryNodeChild, getBinaryNodeChildren } from '@whiskeysockets/baileys';
import { bundleToNode, takeBundle } from './bundle.ts';
import type { Connection } from './connection.ts';
import { SERVER_JID, type SimulatorCore } from './core.ts';
import { decodeBigEndian } from './keys.ts';
import { removeDevice } from './kicks.ts';
import { mediaConnNode } from './media-conn.ts';
import type { LinkedDevice } from './model.ts';
import { handleLinkCodeIq } from './pairing-code.ts';
import { contextOf } from './session-context.ts';
import { usyncResult } from './usync.ts';

function result(node: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return {
    tag: 'iq',
    attrs: { from: SERVER_JID, type: 'result', id: node.attrs.id ?? '' },
    ...(content ? { content } : {}),
  };
}

function children(node: BinaryNode): BinaryNode[] {
  return Array.isArray(node.content) ? node.content : [];
}

export function routeIq(core: SimulatorCore, connection: Connection, node: BinaryNode): void {
  const context = contextOf(connection);
  const device = context?.kind === 'device' ? context.device : undefined;
  const first = children(node)[0];
  const xmlns = node.attrs.xmlns ?? '';
  core.iqCounts.set(xmlns, (core.iqCounts.get(xmlns) ?? 0) + 1);
  switch (xmlns) {
    case 'encrypt':
      connection.send(device ? encryptIq(core, device, node) : result(node));
      return;
    case 'usync':
      connection.send(result(node, [usyncResult(core, node)]));
      return;
    case 'md':
      if (first?.tag === 'link_code_companion_reg') {
        handleLinkCodeIq(core, connection, node);
        return;
      }
      if (first?.tag === 'remove-companion-device' && device) {
        connection.send(result(node));
        removeDevice(core, device, 'remove-companion-device');
        return;
      }
      connection.send(result(node));
      return;
    case 'w:sync:app:state':
      connection.send(result(node, [appStateEcho(node)]));
      return;
    case 'w:m':
      connection.send(first?.tag === 'media_conn' ? result(node, [mediaConnNode(core)]) : result(node));
      return;
    default:
      // passive, w:p pings, props, blocklist, privacy, w:stats, ...: a bare result is all Baileys needs
      connection.send(result(node));
  }
}

function encryptIq(core: SimulatorCore, device: LinkedDevice, node: BinaryNode): BinaryNode {
  const first = children(node)[0];
  if (node.attrs.type === 'get' && first?.tag === 'count') {
    return result(node, [{ tag: 'count', attrs: { value: String(device.preKeys.size) } }]);
  }
  if (node.attrs.type === 'get' && first?.tag === 'digest') {
    return result(node, [{ tag: 'digest', attrs: {}, content: [] }]);
  }
  if (node.attrs.type === 'get' && first?.tag === 'key') {
    const users = getBinaryNodeChildren(first, 'user').flatMap((user) => {
      const jid = user.attrs.jid ?? '';
      const bundle = takeBundle(core, jid);
      return bundle ? [bundleToNode(jid, bundle)] : [];
    });
    return result(node, [{ tag: 'list', attrs: {}, content: users }]);
  }
  if (node.attrs.type === 'set') {
    storeUploadedKeys(device, node);
  }
  return result(node);
}

function storeUploadedKeys(device: LinkedDevice, node: BinaryNode): void {
  const list = getBinaryNodeChild(node, 'list');
  for (const key of getBinaryNodeChildren(list, 'key')) {
    const id = getBinaryNodeChild(key, 'id')?.content;
    const value = getBinaryNodeChild(key, 'value')?.content;
    if (id instanceof Uint8Array && value instanceof Uint8Array) {
      device.preKeys.set(decodeBigEndian(id), Buffer.from(value));
    }
  }
  const skey =
    getBinaryNodeChild(node, 'skey') ?? getBinaryNodeChild(getBinaryNodeChild(node, 'rotate'), 'skey');
  const id = getBinaryNodeChild(skey, 'id')?.content;
  const value = getBinaryNodeChild(skey, 'value')?.content;
  const signature = getBinaryNodeChild(skey, 'signature')?.content;
  if (id instanceof Uint8Array && value instanceof Uint8Array && signature instanceof Uint8Array) {
    device.signedPreKey = {
      keyId: decodeBigEndian(id),
      publicKey: Buffer.from(value),
      signature: Buffer.from(signature),
    };
  }
}

/** Echo each requested collection at its version: no patches, no snapshot, nothing more to fetch. */
function appStateEcho(node: BinaryNode): BinaryNode {
  const sync = getBinaryNodeChild(node, 'sync');
  return {
    tag: 'sync',
    attrs: {},
    content: getBinaryNodeChildren(sync, 'collection').map((collection) => ({
      tag: 'collection',
      attrs: { name: collection.attrs.name ?? '', version: collection.attrs.version ?? '0' },
    })),
  };
}
