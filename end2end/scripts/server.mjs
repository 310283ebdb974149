// What the scripts that start the release server share: a free port to start it on, and waiting
// until it answers.
import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Resolves once `${base}/api/health` answers 200; throws if `server` exits or 30 s pass. */
export async function waitUntilUp(base, server) {
  for (let attempt = 0; attempt < 150; attempt++) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${base}/api/health did not answer within 30 s`);
}
