// Host side of --host-port: a unix socket per port, on the host filesystem, that pod agents
// connect to; each connection is piped to 127.0.0.1:PORT on the host.

import net from 'node:net';
import { join } from 'node:path';

import type { HostPortBinding } from './agent-protocol.js';

export class HostBridge {
  readonly bindings: HostPortBinding[] = [];
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<net.Socket>();

  async open(ports: readonly number[], dir: string): Promise<void> {
    for (const port of ports) {
      const socket = join(dir, `host-port-${port}.sock`);
      const server = net.createServer((fromPod) => {
        // No Nagle delay: a bridge must not hold back a client's last small write (an AMQP
        // ack, then a close) waiting for a reply, which adds tens of milliseconds per hop.
        const toHost = net.connect({ host: '127.0.0.1', port, noDelay: true });
        this.#track(fromPod);
        this.#track(toHost);
        fromPod.pipe(toHost).pipe(fromPod);
        fromPod.on('error', () => toHost.destroy());
        toHost.on('error', () => fromPod.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socket, () => resolve());
      });
      this.#servers.push(server);
      this.bindings.push({ port, socket });
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all(this.#servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}
