import { once } from 'node:events';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';

/**
 * A stand-in for SQL Server's side of a TDS session, enough for tedious (through mssql) to sign in and
 * run statements that return no rows: a login refused with the error number Azure SQL sends (40613
 * "Database … is not currently available", 18456 "Login failed") or accepted, and statements answered
 * DONE or refused with an error number. Packets and tokens as [MS-TDS] lays them out
 * (https://learn.microsoft.com/openspecs/windows_protocols/ms-tds): PRELOGIN answered without
 * encryption (ENCRYPT_NOT_SUP, which tedious accepts even with encrypt: true), LOGIN7 answered with
 * LOGINACK or ERROR, then DONE; SQL batches with DONE, RPC requests with DONEPROC.
 */
export interface TdsDouble {
  port: number;
  /** Every sign-in attempt, in order, with the error number it was refused with (0: accepted). */
  logins: Array<{ at: number; refusedWith: number }>;
  /** The next sign-ins are refused with these numbers, one each; later ones are accepted. */
  refuseLogins(...numbers: number[]): void;
  /** The next statements whose text contains `containing` fail with these numbers, one each. */
  failStatements(containing: string, ...numbers: number[]): void;
  /** Sessions whose socket the double cuts right after PRELOGIN, as a failover does. */
  dropConnections(count: number): void;
  close(): Promise<void>;
}

const PRELOGIN = 0x12;
const LOGIN7 = 0x10;
const SQL_BATCH = 0x01;
const RPC = 0x03;
const TABULAR_RESULT = 0x04;
const EOM = 0x01;

const DONE = 0xfd;
const DONEPROC = 0xfe;
const DONE_ERROR = 0x0002;

function packet(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(TABULAR_RESULT, 0);
  header.writeUInt8(EOM, 1);
  header.writeUInt16BE(payload.length + 8, 2);
  header.writeUInt8(1, 6);
  return Buffer.concat([header, payload]);
}

const ucs2 = (text: string) => Buffer.from(text, 'utf16le');
const usVarchar = (text: string) => Buffer.concat([u16(text.length), ucs2(text)]);
const bVarchar = (text: string) => Buffer.concat([Buffer.from([text.length]), ucs2(text)]);
const u16 = (value: number) => {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
};

/** VERSION (16.0) and ENCRYPTION NOT_SUP, then the terminator. */
function preloginResponse(): Buffer {
  const options = Buffer.from([0x00, 0x00, 11, 0x00, 6, 0x01, 0x00, 17, 0x00, 1, 0xff]);
  return packet(Buffer.concat([options, Buffer.from([16, 0, 0, 0, 0, 0]), Buffer.from([0x02])]));
}

function errorToken(number: number, message: string): Buffer {
  const number32 = Buffer.alloc(4);
  number32.writeInt32LE(number);
  const line = Buffer.alloc(4);
  const body = Buffer.concat([number32, Buffer.from([1, 14]), usVarchar(message), bVarchar('tds-double'), bVarchar(''), line]);
  return Buffer.concat([Buffer.from([0xaa]), u16(body.length), body]);
}

function doneToken(kind: number, status: number): Buffer {
  const body = Buffer.alloc(12);
  body.writeUInt16LE(status, 0);
  return Buffer.concat([Buffer.from([kind]), body]);
}

/** LOGINACK: interface SQL_TSQL, TDS 7.4 (0x74000004, read big-endian), a program name and version. */
function loginAck(): Buffer {
  const version = Buffer.alloc(4);
  version.writeUInt32BE(0x74000004);
  const body = Buffer.concat([Buffer.from([1]), version, bVarchar('tds-double'), Buffer.from([16, 0, 0, 0])]);
  return Buffer.concat([Buffer.from([0xad]), u16(body.length), body]);
}

const MESSAGES: Record<number, string> = {
  40613: "Database 'tenant' on server 'tds-double' is not currently available. Please retry the connection later.",
  40501: 'The service is currently busy. Retry the request after 10 seconds.',
  18456: "Login failed for user 'tenant'.",
};

export async function startTdsDouble(): Promise<TdsDouble> {
  const loginRefusals: number[] = [];
  const statementFailures: Array<{ containing: Buffer; number: number }> = [];
  const logins: TdsDouble['logins'] = [];
  let drops = 0;
  const sockets = new Set<Socket>();

  function answer(socket: Socket, type: number, payload: Buffer): void {
    switch (type) {
      case PRELOGIN:
        if (drops > 0) {
          drops -= 1;
          socket.destroy();
          return;
        }
        socket.write(preloginResponse());
        return;
      case LOGIN7: {
        const refusedWith = loginRefusals.shift() ?? 0;
        logins.push({ at: performance.now(), refusedWith });
        socket.write(
          packet(
            refusedWith
              ? Buffer.concat([errorToken(refusedWith, MESSAGES[refusedWith] ?? `error ${refusedWith}`), doneToken(DONE, DONE_ERROR)])
              : Buffer.concat([loginAck(), doneToken(DONE, 0)]),
          ),
        );
        return;
      }
      case SQL_BATCH:
      case RPC: {
        const kind = type === RPC ? DONEPROC : DONE;
        const index = statementFailures.findIndex(({ containing }) => payload.includes(containing));
        const failure = index < 0 ? undefined : statementFailures.splice(index, 1)[0].number;
        socket.write(packet(failure ? Buffer.concat([errorToken(failure, MESSAGES[failure] ?? `error ${failure}`), doneToken(kind, DONE_ERROR)]) : doneToken(kind, 0)));
        return;
      }
      default:
        socket.destroy();
    }
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    let message: { type: number; parts: Buffer[] } | undefined;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8 && pending.length >= pending.readUInt16BE(2)) {
        const length = pending.readUInt16BE(2);
        const [type, status] = [pending.readUInt8(0), pending.readUInt8(1)];
        message ??= { type, parts: [] };
        message.parts.push(pending.subarray(8, length));
        pending = pending.subarray(length);
        if (status & EOM) {
          answer(socket, message.type, Buffer.concat(message.parts));
          message = undefined;
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  return {
    port: (server.address() as AddressInfo).port,
    logins,
    refuseLogins: (...numbers) => loginRefusals.push(...numbers),
    failStatements: (containing, ...numbers) => statementFailures.push(...numbers.map((number) => ({ containing: ucs2(containing), number }))),
    dropConnections(count) {
      drops += count;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
