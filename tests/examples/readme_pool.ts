import { ConnectionPool, type Connector } from "../../mod.ts";

// Stands in for your client: costly to open, safe to share among callers.
class Channel {
  request = (path: string) => Promise.resolve(`200 ${path}`);
  close = () => Promise.resolve();
}
const connector: Connector<Channel> = {
  create: () => Promise.resolve(new Channel()), // opens one connection
  ready: async (channel) => void await channel.request("/health"), // proves it
  close: (channel) => channel.close(), // once per connection opened
};

// Up to 50 concurrent callers per connection, 4 connections at most.
await using pool = new ConnectionPool(connector, {
  clientLimit: 50,
  maxSize: 4,
});
const answers = await Promise.all(
  ["/a", "/b", "/c"].map((path) =>
    pool.use((channel) => channel.request(path))
  ),
);
console.log(answers, pool.stats().readyConnections); // [ "200 /a", "200 /b", "200 /c" ] 1
