import { ConnectionPool, type Connector } from "../../mod.ts";

// Stands in for your client: costly to open, safe to share among callers.
function openChannel(signal: AbortSignal) {
  signal.throwIfAborted(); // a real client connects here, honouring the signal
  return Promise.resolve({
    request: (path: string) => Promise.resolve(`200 ${path}`),
    close: () => Promise.resolve(),
  });
}
type Channel = Awaited<ReturnType<typeof openChannel>>;

const connector: Connector<Channel> = {
  create: (signal) => openChannel(signal), // opens one connection
  ready: async (channel) => void await channel.request("/health"), // proves it
  close: (channel) => channel.close(), // once per connection opened
};

await using pool = new ConnectionPool(connector, {
  clientLimit: 50, // concurrent callers per connection
  maxSize: 4, // connections at most
  maxIdleSeconds: 300, // a connection unused this long is closed
});
const paths = ["/a", "/b", "/c"];
const answers = await Promise.all(
  paths.map((path) => pool.use((channel) => channel.request(path))),
);
console.log(answers, pool.stats().readyConnections); // [ "200 /a", "200 /b", "200 /c" ] 1
