// usync: devices, LID and contact lookups for known accounts; unknown numbers come back as "not on WhatsApp".
import { type BinaryNode, getBinaryNodeChild, getBinaryNodeChildren } from '@whiskeysockets/baileys';
import type { SimulatorCore } from './core.ts';
import { type Account, lidJid } from './model.ts';

function childrenOf(node: BinaryNode | undefined): BinaryNode[] {
  return node && Array.isArray(node.content) ? node.content : [];
}

function textOf(node: BinaryNode | undefined): string | undefined {
  const content = node?.content;
  if (typeof content === 'string') return content;
  if (content instanceof Uint8Array) return Buffer.from(content).toString('utf8');
  return undefined;
}

export function usyncResult(core: SimulatorCore, node: BinaryNode): BinaryNode {
  const usync = getBinaryNodeChild(node, 'usync');
  const protocols = new Set(childrenOf(getBinaryNodeChild(usync, 'query')).map((child) => child.tag));
  const users = getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user').map((user) =>
    userResult(core, user, protocols),
  );
  return {
    tag: 'usync',
    attrs: { sid: usync?.attrs.sid ?? '', index: '0', last: 'true', mode: usync?.attrs.mode ?? 'query' },
    content: [
      { tag: 'result', attrs: {}, content: [...protocols].map((tag) => ({ tag, attrs: {} })) },
      { tag: 'list', attrs: {}, content: users },
    ],
  };
}

function userResult(core: SimulatorCore, user: BinaryNode, protocols: Set<string>): BinaryNode {
  const phone = textOf(getBinaryNodeChild(user, 'contact'))?.replace(/\D/g, '');
  const jid = user.attrs.jid ?? `${phone ?? ''}@s.whatsapp.net`;
  const account = core.resolveJid(jid)?.account;
  const content: BinaryNode[] = [];
  if (protocols.has('devices')) content.push(devicesNode(account));
  if (protocols.has('lid') && account) content.push({ tag: 'lid', attrs: { val: lidJid(account.lid) } });
  if (protocols.has('contact')) {
    content.push({ tag: 'contact', attrs: { type: account ? 'in' : 'out' } });
  }
  return { tag: 'user', attrs: { jid }, content };
}

function devicesNode(account: Account | undefined): BinaryNode {
  const devices: BinaryNode[] = account
    ? [
        { tag: 'device', attrs: { id: '0' } },
        ...[...account.devices.values()].map((device) => ({
          tag: 'device',
          attrs: { id: String(device.id), 'key-index': String(device.id) },
        })),
      ]
    : [];
  return { tag: 'devices', attrs: {}, content: [{ tag: 'device-list', attrs: {}, content: devices }] };
}
