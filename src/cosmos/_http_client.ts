/**
 * The HTTP client each Cosmos client of this library sends through
 * (internal; never re-exported): the user's `clientOptions.httpClient`, or
 * the SDK's default, with a way to stop every request of one client at once.
 *
 * @module
 */

import {
  createDefaultHttpClient,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";

/** Made once per process, as `@azure/cosmos` makes its own default. */
let defaultHttpClient: HttpClient | undefined;

/**
 * An `HttpClient` for one `CosmosClient` that can abort every request it has
 * in flight and refuse new ones. `@azure/cosmos` sends some requests with no
 * caller signal (the account read that precedes a client's first operation,
 * endpoint refreshes) and retries with sleeps, each request under a ref'd
 * `requestTimeout` timer (60 s by default); without this, a client whose open
 * was abandoned against an endpoint that never answers keeps its TLS socket
 * and those timers, and the process, alive long after `close()`.
 */
export class ClosableHttpClient implements HttpClient {
  readonly #inner: HttpClient;
  readonly #what: string;
  readonly #inFlight = new Set<AbortController>();
  #closed: { reason: unknown } | undefined;

  /**
   * Wraps `inner`, or the SDK's default client.
   *
   * @param what The endpoint host, for messages (no secret).
   * @param inner The user's `httpClient`, if any.
   */
  constructor(what: string, inner: HttpClient | undefined) {
    this.#what = what;
    this.#inner = inner ?? (defaultHttpClient ??= createDefaultHttpClient());
  }

  /** Whether `close` was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /**
   * Sends through the inner client, unless closed.
   *
   * @param request The SDK's request; its signal still aborts it.
   * @returns The response.
   * @throws {Error} When the client is or gets closed (not an `AbortError`,
   * which the SDK would turn into a retried timeout).
   */
  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    if (this.#closed !== undefined) throw this.#closedError(undefined);
    const outer = request.abortSignal;
    const controller = new AbortController();
    const follow = () =>
      controller.abort((outer as { reason?: unknown })?.reason);
    if (outer?.aborted) follow();
    else outer?.addEventListener("abort", follow, { once: true });
    this.#inFlight.add(controller);
    request.abortSignal = controller.signal;
    try {
      return await this.#inner.sendRequest(request);
    } catch (error) {
      if (this.#closed !== undefined && outer?.aborted !== true) {
        throw this.#closedError(error);
      }
      throw error;
    } finally {
      this.#inFlight.delete(controller);
      outer?.removeEventListener("abort", follow);
      request.abortSignal = outer;
    }
  }

  /**
   * Aborts every request in flight (destroying their sockets) and refuses
   * new ones.
   *
   * @param reason Why, kept as the `cause` of what the requests reject with.
   */
  close(reason?: unknown): void {
    if (this.#closed !== undefined) return;
    this.#closed = { reason };
    for (const controller of this.#inFlight) controller.abort(reason);
    this.#inFlight.clear();
  }

  #closedError(error: unknown): Error {
    return new Error(
      `Cosmos ${this.#what}: the client was closed before its request finished`,
      { cause: error ?? this.#closed?.reason },
    );
  }
}
