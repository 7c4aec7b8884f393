// Structured logs (pino): JSON lines on stdout, level from config or flag.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return destination === undefined ? pino({ level, base: { name: 'vxswitch' } }) : pino({ level, base: { name: 'vxswitch' } }, destination);
}
