import { once } from 'node:events';
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';

/**
 * A stand-in for SQL Server's side of a TDS session, enough for tedious (through mssql) to sign in and
 * run statements: a login refused with the error number Azure SQL sends (40613 "Database … is not
 * currently available", 18456 "Login failed") or accepted, and statements answered DONE or refused
 * with an error number. A batch that only selects the session's identity (`SELECT DB_NAME() AS db,
 * SUSER_SNAME() AS login`: DB_NAME, SCHEMA_NAME, USER_NAME, SUSER_SNAME) gets one row of the database
 * and user name the session signed in with (SCHEMA_NAME: dbo), so a test can tell whose session
 * answered. Packets and tokens as [MS-TDS] lays them out
 * (https://learn.microsoft.com/openspecs/windows_protocols/ms-tds): PRELOGIN answered without
 * encryption (ENCRYPT_NOT_SUP, which tedious accepts even with encrypt: true), LOGIN7 answered with
 * LOGINACK or ERROR, then DONE; SQL batches with DONE (or COLMETADATA, ROW, DONE), RPC requests with
 * DONEPROC.
 */
export interface TdsDouble {
  port: number;
  /** Every sign-in attempt, in order: who, to which database, and the error number it was refused with (0: accepted). */
  logins: Array<{ at: number; refusedWith: number; user: string; database: string }>;
  /** Sessions open now: from their first message (PRELOGIN) until the double sees their end. */
  openSessions(): number;
  /** The most sessions that were open at once since the double started or `resetPeak()`. */
  peakSessions(): number;
  resetPeak(): void;
  /** The next sign-ins are refused with these numbers, one each; later ones are accepted. */
  refuseLogins(...numbers: number[]): void;
  /** The next statements whose text contains `containing` fail with these numbers, one each. */
  failStatements(containing: string, ...numbers: number[]): void;
  /** Sessions whose socket the double cuts right after PRELOGIN, as a failover does. */
  dropConnections(count: number): void;
  /** Cuts every open session at once, as a failover does to the sessions it finds. */
  hangUpAll(): void;
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
const DONEINPROC = 0xff;
const RETURNSTATUS = 0x79;
const SP_EXECUTESQL = 10;
const COLMETADATA = 0x81;
const ROW = 0xd1;
const DONE_ERROR = 0x0002;
const DONE_COUNT = 0x0010;
const NVARCHAR = 0xe7;
/** Latin1_General_CI_AS: LCID 0x0409 with its flags, sort id 0x34. */
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);

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

function doneToken(kind: number, status: number, rows = 0): Buffer {
  const body = Buffer.alloc(12);
  body.writeUInt16LE(status, 0);
  body.writeBigUInt64LE(BigInt(rows), 4);
  return Buffer.concat([Buffer.from([kind]), body]);
}

/**
 * One row of NVARCHAR(4000) columns: COLMETADATA (UserType, Flags, TYPE_INFO with collation, name),
 * ROW, then DONE with its count for a batch, or DONEINPROC with its count, RETURNSTATUS 0 and DONEPROC
 * for sp_executesql.
 */
function rowTokens(columns: Array<{ name: string; value: string }>, rpc: boolean): Buffer {
  const metadata = columns.map(({ name }) => {
    const userTypeAndFlags = Buffer.alloc(6);
    return Buffer.concat([userTypeAndFlags, Buffer.from([NVARCHAR]), u16(8000), COLLATION, bVarchar(name)]);
  });
  const values = columns.map(({ value }) => Buffer.concat([u16(value.length * 2), ucs2(value)]));
  const end = rpc ? [doneToken(DONEINPROC, DONE_COUNT, 1), Buffer.from([RETURNSTATUS, 0, 0, 0, 0]), doneToken(DONEPROC, 0)] : [doneToken(DONE, DONE_COUNT, 1)];
  return Buffer.concat([Buffer.from([COLMETADATA]), u16(columns.length), ...metadata, Buffer.from([ROW]), ...values, ...end]);
}

/**
 * The statement of a request: a batch's text after ALL_HEADERS (its total length first); an RPC's
 * when it calls sp_executesql by id (0xFFFF, 10) and its first parameter is an NVARCHAR, sent with a
 * length or, past 4,000 characters, as PLP chunks. Undefined for any other RPC.
 */
function statementText(type: number, payload: Buffer): string | undefined {
  let at = payload.readUInt32LE(0);
  if (type === SQL_BATCH) return payload.subarray(at).toString('utf16le');
  if (payload.readUInt16LE(at) !== 0xffff || payload.readUInt16LE(at + 2) !== SP_EXECUTESQL) return undefined;
  at += 6;
  at += 1 + payload.readUInt8(at) * 2 + 1;
  if (payload.readUInt8(at) !== NVARCHAR) return undefined;
  const maxLength = payload.readUInt16LE(at + 1);
  at += 3 + COLLATION.length;
  if (maxLength !== 0xffff) return payload.subarray(at + 2, at + 2 + payload.readUInt16LE(at)).toString('utf16le');
  const chunks: Buffer[] = [];
  for (at += 8; payload.readUInt32LE(at) > 0; at += 4 + payload.readUInt32LE(at)) chunks.push(payload.subarray(at + 4, at + 4 + payload.readUInt32LE(at)));
  return Buffer.concat(chunks).toString('utf16le');
}

/** LOGIN7's variable part, read through its offset table: UserName (ib at 40, cch at 42) and Database (68, 70). */
function login7Names(payload: Buffer): { user: string; database: string } {
  const read = (at: number) => payload.subarray(payload.readUInt16LE(at), payload.readUInt16LE(at) + payload.readUInt16LE(at + 2) * 2).toString('utf16le');
  return { user: read(40), database: read(68) };
}

const IDENTITY_FUNCTIONS = ['DB_NAME', 'SCHEMA_NAME', 'USER_NAME', 'SUSER_SNAME'] as const;
const IDENTITY_COLUMN = /^\s*(\w+)\(\)\s+AS\s+(?:"([^"]+)"|\[([^\]]+)\]|(\w+))\s*$/i;

/** The columns of a batch that selects only identity functions; undefined for any other statement. */
function identityColumns(text: string, session: { user: string; database: string }): Array<{ name: string; value: string }> | undefined {
  const select = /^\s*SELECT\s+(.+?)\s*;?\s*$/is.exec(text);
  if (!select) return undefined;
  const columns = [];
  for (const part of select[1].split(',')) {
    const match = IDENTITY_COLUMN.exec(part);
    const fn = match?.[1].toUpperCase() as (typeof IDENTITY_FUNCTIONS)[number] | undefined;
    if (!match || !fn || !IDENTITY_FUNCTIONS.includes(fn)) return undefined;
    const value = fn === 'DB_NAME' ? session.database : fn === 'SCHEMA_NAME' ? 'dbo' : session.user;
    columns.push({ name: match[2] ?? match[3] ?? match[4], value });
  }
  return columns;
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
  const signedIn = new WeakMap<Socket, { user: string; database: string }>();
  const live = new WeakSet<Socket>();
  let open = 0;
  let peak = 0;

  // A session counts from its first message, not from its accept: under churn the listening socket
  // can be served before the FIN of a session the client closed earlier (epoll keeps a busy
  // listener early in its ready list), whereas a new session's first bytes always arrive after it.
  function began(socket: Socket): void {
    live.add(socket);
    open += 1;
    peak = Math.max(peak, open);
  }

  // It is over as soon as the server can know: the client's FIN (end) or reset (error), or the double
  // hanging up. Its close comes a turn of the event loop later.
  function ended(socket: Socket): void {
    if (live.delete(socket)) open -= 1;
  }

  function hangUp(socket: Socket): void {
    ended(socket);
    socket.destroy();
  }

  function answer(socket: Socket, type: number, payload: Buffer): void {
    switch (type) {
      case PRELOGIN:
        began(socket);
        if (drops > 0) {
          drops -= 1;
          hangUp(socket);
          return;
        }
        socket.write(preloginResponse());
        return;
      case LOGIN7: {
        const refusedWith = loginRefusals.shift() ?? 0;
        const names = login7Names(payload);
        logins.push({ at: performance.now(), refusedWith, ...names });
        if (!refusedWith) signedIn.set(socket, names);
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
        if (failure) {
          socket.write(packet(Buffer.concat([errorToken(failure, MESSAGES[failure] ?? `error ${failure}`), doneToken(kind, DONE_ERROR)])));
          return;
        }
        const session = signedIn.get(socket);
        const text = session && statementText(type, payload);
        const columns = session && text !== undefined ? identityColumns(text, session) : undefined;
        socket.write(packet(columns ? rowTokens(columns, type === RPC) : doneToken(kind, 0)));
        return;
      }
      default:
        hangUp(socket);
    }
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('end', () => ended(socket));
    socket.on('close', () => {
      ended(socket);
      sockets.delete(socket);
    });
    socket.on('error', () => hangUp(socket));
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
    openSessions: () => open,
    peakSessions: () => peak,
    resetPeak() {
      peak = open;
    },
    refuseLogins: (...numbers) => loginRefusals.push(...numbers),
    failStatements: (containing, ...numbers) => statementFailures.push(...numbers.map((number) => ({ containing: ucs2(containing), number }))),
    dropConnections(count) {
      drops += count;
    },
    hangUpAll() {
      for (const socket of sockets) hangUp(socket);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
