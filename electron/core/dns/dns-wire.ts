/**
 * The small, typed slice of dns-packet (5.6) that Standby uses, plus what dns-packet cannot
 * express: classes NONE (254) and ANY on data-less records, needed by RFC 2136 prerequisites
 * and deletes. @types/dns-packet omits `rcode`, `opcode` and the record codecs, hence the
 * local types.
 */
import dnsPacketUntyped from 'dns-packet';
import type { DnsRecordType } from './dns-provider.ts';

/** One resource record as dns-packet decodes it (data: string for A/AAAA/CNAME, else Buffer/object). */
export interface WireRecord {
  name: string;
  type: string;
  class: string;
  ttl: number;
  data: unknown;
}

/** A decoded DNS message (header flags as dns-packet reports them). */
export interface WireMessage {
  id: number;
  type: 'query' | 'response';
  flags: number;
  opcode: string;
  flag_qr: boolean;
  flag_aa: boolean;
  flag_tc: boolean;
  /** `NOERROR`, `NXDOMAIN`, `NXRRSET`, … (RFC 1035 §4.1.1, RFC 2136 §2.2). */
  rcode: string;
  questions: { name: string; type: string; class: string }[];
  answers: WireRecord[];
  authorities: WireRecord[];
  additionals: WireRecord[];
}

interface Codec<T> {
  (buf: Buffer, offset?: number): T;
  bytes: number;
}

interface DnsPacketLib {
  encode(packet: object): Buffer;
  decode: Codec<WireMessage>;
  name: { encode(name: string): Buffer; decode: Codec<string> };
  answer: { encode(rr: object): Buffer };
}

/** dns-packet with the types it really has. */
export const dnsPacket = dnsPacketUntyped as unknown as DnsPacketLib;

/** RFC 2136 §2.1 / RFC 1035 §4.1.1 opcode UPDATE (5), in header-flag position. */
export const OPCODE_UPDATE_FLAGS = 5 << 11;

const CLASS_CODES = { IN: 1, NONE: 254, ANY: 255 } as const;
const TYPE_CODES: Record<DnsRecordType, number> = { A: 1, AAAA: 28, CNAME: 5 };

/**
 * Encode one RR with dns-packet, then set its class field, so classes dns-packet's table lacks
 * (NONE) work. `data: null` writes RDLENGTH 0 (RFC 2136 §2.4.1/§2.4.3/§2.5.2 forms).
 */
export function encodeUpdateRecord(rr: {
  name: string;
  type: DnsRecordType;
  class: keyof typeof CLASS_CODES;
  ttl: number;
  data: string | null;
}): Buffer {
  const buf =
    rr.data === null
      ? // dns-packet's A/AAAA/CNAME encoders require data; an UNKNOWN_n type writes raw (empty) rdata.
        dnsPacket.answer.encode({
          name: rr.name,
          type: `UNKNOWN_${TYPE_CODES[rr.type]}`,
          class: 'IN',
          ttl: rr.ttl,
          data: Buffer.alloc(0),
        })
      : dnsPacket.answer.encode({ name: rr.name, type: rr.type, class: 'IN', ttl: rr.ttl, data: rr.data });
  // dns-packet writes names uncompressed: the class sits right after NAME and TYPE.
  const nameLen = dnsPacket.name.encode(rr.name).length;
  buf.writeUInt16BE(CLASS_CODES[rr.class], nameLen + 2);
  return buf;
}

/**
 * Assemble a message from a header (id, flags) and pre-encoded sections. Sections are the RFC
 * 1035 ones; for UPDATE they mean zone / prerequisite / update / additional (RFC 2136 §2).
 */
export function assembleMessage(
  id: number,
  flags: number,
  sections: { questions: Buffer[]; answers: Buffer[]; authorities: Buffer[]; additionals: Buffer[] },
): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(flags & 0xffff, 2);
  header.writeUInt16BE(sections.questions.length, 4);
  header.writeUInt16BE(sections.answers.length, 6);
  header.writeUInt16BE(sections.authorities.length, 8);
  header.writeUInt16BE(sections.additionals.length, 10);
  return Buffer.concat([
    header,
    ...sections.questions,
    ...sections.answers,
    ...sections.authorities,
    ...sections.additionals,
  ]);
}

/** Encode a question entry (name, type, class IN). `type` may be any dns-packet type name. */
export function encodeQuestion(name: string, type: string): Buffer {
  return dnsPacket.encode({ id: 0, questions: [{ name, type, class: 'IN' }] }).subarray(12);
}

/** Decode a message; throws `Error` on malformed input. */
export function decodeMessage(buf: Buffer): WireMessage {
  return dnsPacket.decode(buf);
}
