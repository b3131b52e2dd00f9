/**
 * Writes to many WebSockets with one system call per socket per turn.
 *
 * A commit fans out as several messages to every subscriber, each of them a
 * WebSocket frame. Written one by one, every frame is its own write(2), and on
 * a busy machine a write that wakes another process is the dearest part of a
 * delivery. So the first frame of a turn corks the socket under the WebSocket
 * and one setImmediate uncorks every socket written in that turn: the frames
 * leave together, in order, after the turn's other work.
 */
import type { Socket } from "node:net";
import WebSocket from "ws";

const corked = new Set<Socket>();
/** Bytes go out as a text frame too: the protocol's messages are JSON text. */
const TEXT_FRAME = { binary: false } as const;
let flushScheduled = false;

function flush(): void {
  flushScheduled = false;
  for (const socket of corked) socket.uncork();
  corked.clear();
}

/**
 * Sends `message` (JSON text, as a string or its UTF-8 bytes) on `ws` (whose
 * transport is `socket`) as a text frame, leaving with the rest
 * of this turn's frames. Nothing is sent once the WebSocket is closing.
 * Returns true while the transport takes more; false asks the writer to
 * wait for `drain` before producing more (a slow client must not make the
 * server buffer without bound).
 */
export function sendCorked(ws: WebSocket, socket: Socket, message: string | Buffer): boolean {
  if (ws.readyState !== WebSocket.OPEN) return true;
  if (!corked.has(socket)) {
    socket.cork();
    corked.add(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }
  ws.send(message, TEXT_FRAME);
  return !socket.writableNeedDrain;
}

/**
 * Lets `socket`'s frames go now rather than at the end of the turn: for a
 * writer that knows it has nothing more to send for the moment, so that the
 * client can start reading while the server serves the next subscribers.
 */
export function flushNow(socket: Socket): void {
  if (corked.delete(socket)) socket.uncork();
}
