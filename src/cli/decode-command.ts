// `vxswitch decode FILE.pcap [--json]`: every BGP message and VXLAN datagram
// in a capture, one line each, for when a peer misbehaves. BGP is read from
// reassembled TCP streams with the capabilities the OPENs negotiated, so
// what is printed is what the receiving speaker saw; a malformed message is
// printed with its error and the RFC 7606 action, never fatal to the tool.

import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import * as pcap from '../wire/pcap.js';
import type { PcapFile } from '../wire/pcap.js';
import { VXLAN_PORT_IANA, VXLAN_PORT_LINUX } from '../wire/vxlan.js';
import { WireError } from '../wire/wire-error.js';
import { CliError } from './cli-error.js';
import { CaptureDecoder } from './decode/capture-decoder.js';
import { isSupportedLinkType } from './decode/link-layer.js';
import { formatRecordJson, formatRecordText } from './decode/record-format.js';
import type { DecodedRecord } from './decode/records.js';

export const DEFAULT_BGP_PORT = 179;
export const DEFAULT_VXLAN_PORTS: readonly number[] = [VXLAN_PORT_IANA, VXLAN_PORT_LINUX];

export interface DecodeCommandOptions {
  json?: boolean;
  /** Extra VXLAN ports (the defaults are always decoded). */
  vxlanPort?: number[];
  bgpPort?: number;
  filter?: 'bgp' | 'vxlan';
}

export function registerDecodeCommand(program: Command): void {
  program
    .command('decode')
    .description('print every BGP message and VXLAN packet of a pcap capture (tcpdump -w), one per line')
    .argument('<file>', 'capture file (classic pcap: tcpdump -w, or editcap -F pcap)')
    .option('--json', 'one JSON object per line (JSONL) instead of text')
    .addOption(
      new Option('--vxlan-port <port>', `also decode UDP <port> as VXLAN (repeatable or comma list; ${DEFAULT_VXLAN_PORTS.join(' and ')} always)`)
        .argParser(collectPorts),
    )
    .addOption(new Option('--bgp-port <port>', 'TCP port of BGP').default(DEFAULT_BGP_PORT).argParser(parsePort))
    .addOption(new Option('--filter <proto>', 'only this protocol').choices(['bgp', 'vxlan']))
    .action(async (file: string, opts: DecodeCommandOptions) => {
      await runDecode(file, opts, process.stdout);
    });
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port (1..65535)`);
  }
  return n;
}

function collectPorts(value: string, previous: number[] | undefined): number[] {
  const ports = value.split(',').filter((p) => p.trim() !== '').map((p) => parsePort(p.trim()));
  if (ports.length === 0) throw new InvalidArgumentError(`"${value}" is not a port (1..65535)`);
  return [...(previous ?? []), ...ports];
}

/** Read and decode the capture; throws CliError naming the file when it cannot be read. */
export async function loadCapture(file: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<PcapFile> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new CliError(`${file}: ${fsReason(e)}`);
  }
  if (buf.length < 24) {
    throw new CliError(`${file}: not a pcap file (${buf.length} bytes, shorter than the 24-byte pcap header)`);
  }
  try {
    return pcap.decode(buf);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    if (e.offset === 0) throw new CliError(`${file}: ${e.message}`);
    // The file was cut in the middle of a record (a capture still being
    // written, or copied short): show what is complete, as tshark does.
    const partial = readWholeRecords(buf, e);
    if (!partial) throw new CliError(`${file}: ${e.message}`);
    warn(`vxswitch: ${file}: cut short in the middle of a packet after frame ${partial.records.length}`);
    return partial;
  }
}

/** The records before the one that failed (its header or its data was cut). */
function readWholeRecords(buf: Buffer, e: WireError): PcapFile | undefined {
  // pcap.decode reports the offset of the record header, or of the record
  // data (16 bytes further): try both cuts.
  for (const end of [e.offset, e.offset - 16]) {
    if (end < 24) continue;
    try {
      return pcap.decode(buf.subarray(0, end));
    } catch {
      // try the other cut
    }
  }
  return undefined;
}

function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a capture file';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

export interface LineSink {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export async function runDecode(file: string, opts: DecodeCommandOptions, out: LineSink): Promise<void> {
  const capture = await loadCapture(file);
  if (!isSupportedLinkType(capture.header.linkType)) {
    throw new CliError(
      `${file}: link type ${capture.header.linkType} is not decoded (Ethernet, Linux cooked v1/v2, raw IP and loopback are)`,
    );
  }
  const vxlanPorts = new Set([...DEFAULT_VXLAN_PORTS, ...(opts.vxlanPort ?? [])]);
  const decoder = new CaptureDecoder(capture.header.linkType, {
    bgpPorts: new Set([opts.bgpPort ?? DEFAULT_BGP_PORT]),
    vxlanPorts,
  });
  const firstTime = capture.records[0]?.time ?? 0;
  const format = opts.json ? formatRecordJson : (r: DecodedRecord) => formatRecordText(r, firstTime);
  const keep = (r: DecodedRecord): boolean => opts.filter === undefined || r.proto === opts.filter;

  // Lines are written in batches, waiting for the sink to drain, so a big
  // capture piped into `less` does not pile up in memory.
  let batch: string[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const text = `${batch.join('\n')}\n`;
    batch = [];
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
  };
  const emit = async (records: DecodedRecord[]): Promise<void> => {
    for (const r of records) if (keep(r)) batch.push(format(r));
    if (batch.length >= 512) await flush();
  };
  for (const record of capture.records) await emit(decoder.frame(record));
  await emit(decoder.finish());
  await flush();
}
