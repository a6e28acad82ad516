import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import {
  all, dump, HTTP_SERVER, NODE, skipWithoutNamespaces as skip, startSimulation, waitEvent,
  outputOf, waitLogLine, waitOutputCount,
} from './support.js';

const SCRIPT = 'echo files=$(ls /data | wc -l); echo $NAME > /data/owner; ' +
  `exec ${NODE} ${HTTP_SERVER} serve`;

test('pods of one Deployment share a port number and a mountPath without seeing each other',
  { skip }, async (t) => {
    const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: twins}
spec:
  replicas: 3
  template:
    spec:
      volumes: [{name: data, emptyDir: {}}]
      containers:
      - name: app
        image: x
        command: ["sh", "-c", "${SCRIPT}"]
        env:
        - {name: PORT, value: "8080"}
        - name: NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        volumeMounts: [{name: data, mountPath: /data}]
        startupProbe:
          exec: {command: ["sh", "-c", "test \\"$(cat /data/owner)\\" = \\"$NAME\\""]}
          periodSeconds: 1
        readinessProbe:
          httpGet: {path: /whoami, port: 8080}
          periodSeconds: 1
`.replaceAll('/data', '/tmp/podsim-test-data');
    const simulation = await startSimulation(t, manifest);

    await simulation.waitRolloutComplete('twins');
    await waitOutputCount(simulation, '"listening"', 3);

    const pods = simulation.pods.map((p) => p.name);
    assert.equal(pods.length, 3);
    for (const name of pods) assert.match(name, /^twins-[a-z0-9]+-[a-z0-9]{5}$/);
    const lines = outputOf(simulation);
    assert.equal(lines.filter((l) => l === 'files=0').length, 3, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('"listening"')).length, 3, lines.join('\n'));
    assert.equal(lines.filter((l) => l.includes('listen-failed')).length, 0);
    const ready = all(simulation.log.events, { event: 'PodReady', ready: true });
    assert.equal(ready.length, 3, dump(simulation.log.events));
  });

test('a host port is reachable at 127.0.0.1 inside a pod that mounts a volume at /tmp', { skip },
  async (t) => {
    const server = net.createServer((socket) => socket.end('hello from the host'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as net.AddressInfo).port;
    const client = `const s = require('net').connect(${port}, '127.0.0.1');` +
      "s.on('data', (d) => { console.log('got ' + d); process.exit(0); });" +
      "s.on('error', (e) => { console.log('failed ' + e.message); process.exit(1); });";
    const manifest = `
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  restartPolicy: Never
  volumes: [{name: tmp, emptyDir: {}}, {name: share, emptyDir: {}}]
  containers:
  - name: app
    image: x
    command: ["${NODE}", "-e", ${JSON.stringify(client)}]
    # The mount at /tmp hides a checkout of this repository kept under /tmp (the default working
    # directory is the emulator's own), as CI's may be.
    workingDir: /
    volumeMounts: [{name: share, mountPath: /tmp/share}, {name: tmp, mountPath: /tmp}]
`;
    const simulation = await startSimulation(t, manifest, { hostPorts: [port] });
    const got = waitLogLine(simulation, 'hello from the host');

    await waitEvent(simulation, { event: 'PodCompleted', pod: 'client' });

    assert.equal(await got, 'got hello from the host');
    assert.equal(simulation.pod('client').phase, 'Succeeded');
  });
