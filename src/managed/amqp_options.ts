/**
 * The connection options the AMQP clients (Service Bus, Event Hubs) share:
 * where the namespace is and how to authenticate. Types only; the
 * `@azure/core-auth` import is erased.
 *
 * @module
 */

import type {
  NamedKeyCredential,
  SASCredential,
  TokenCredential,
} from "@azure/core-auth";

/**
 * What the AMQP SDK clients accept as a credential: a `TokenCredential` (for
 * example from `@azure/identity`), an `AzureNamedKeyCredential` or an
 * `AzureSASCredential`.
 *
 * @example A credential checked by shape
 * ```ts
 * import type { AmqpCredential } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const credential: AmqpCredential = { getToken: () => Promise.resolve(null) };
 * assert.equal(typeof credential, "object");
 * ```
 */
export type AmqpCredential =
  | TokenCredential
  | NamedKeyCredential
  | SASCredential;

/**
 * Where a Service Bus or Event Hubs namespace is and how to authenticate.
 * Give exactly one of `connectionString`, `credential` or
 * `credentialFactory`; `namespace` comes with a credential. Each service adds
 * its entity (`queueName`, `eventHubName`).
 *
 * @typeParam O The SDK client's options type.
 *
 * @example A namespace and a credential
 * ```ts
 * import type { AmqpConnectionOptions } from "@azure-clients/toolbox/service-bus";
 * import assert from "node:assert/strict";
 *
 * const options: AmqpConnectionOptions<object> = {
 *   namespace: "myns.servicebus.windows.net",
 *   credential: { getToken: () => Promise.resolve(null) },
 *   closeTimeoutSeconds: 5,
 * };
 * assert.equal(options.closeTimeoutSeconds, 5);
 * ```
 */
export interface AmqpConnectionOptions<O> {
  /**
   * The fully qualified namespace, for example `myns.servicebus.windows.net`.
   * Required with `credential` or `credentialFactory`.
   * @default {undefined}
   */
  namespace?: string;
  /**
   * `Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…` (never logged or
   * echoed in errors).
   * @default {undefined}
   */
  connectionString?: string;
  /**
   * A credential shared by every client and never closed by this library.
   * @default {undefined}
   */
  credential?: AmqpCredential;
  /**
   * Makes one credential per client; closing the client closes it when it
   * has a `close` method.
   * @default {undefined}
   */
  credentialFactory?: () => AmqpCredential | Promise<AmqpCredential>;
  /**
   * Passed to every SDK client (retry options, web sockets, user agent).
   * @default {{}}
   */
  clientOptions?: O;
  /**
   * How long closing one client may take before it is given up on (the SDK's
   * close can hang when the connection drops while it runs).
   * @default {10}
   */
  closeTimeoutSeconds?: number;
}
