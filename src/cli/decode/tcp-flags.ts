// TCP control bits as tcpdump prints them: "S" SYN, "." ACK, "P" PSH, "F" FIN,
// "R" RST, "U" URG, "E" ECE, "W" CWR (RFC 9293 §3.1, RFC 3168 §6.1).

import { TcpFlag } from '../../wire/tcp.js';

const LETTERS: ReadonlyArray<[number, string]> = [
  [TcpFlag.Syn, 'S'],
  [TcpFlag.Fin, 'F'],
  [TcpFlag.Rst, 'R'],
  [TcpFlag.Psh, 'P'],
  [TcpFlag.Urg, 'U'],
  [TcpFlag.Ece, 'E'],
  [TcpFlag.Cwr, 'W'],
  [TcpFlag.Ack, '.'],
];

export function tcpFlagsText(flags: number): string {
  let s = '';
  for (const [bit, letter] of LETTERS) if ((flags & bit) !== 0) s += letter;
  return s === '' ? 'none' : s;
}
