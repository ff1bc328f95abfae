/**
 * The options and event shapes of `EventGridPublisher`.
 *
 * @module
 */

import type {
  KeyCredential,
  SASCredential,
  TokenCredential,
} from "@azure/core-auth";
import type {
  EventGridPublisherClientOptions,
  SendCloudEventInput,
  SendEventGridEventInput,
} from "@azure/eventgrid";

/**
 * The input schema a topic accepts, with the SDK's names: `"EventGrid"` (the
 * Event Grid schema, `application/json`) or `"CloudEvent"` (CloudEvents 1.0,
 * `application/cloudevents-batch+json`).
 *
 * @example A topic in the CloudEvents schema
 * ```ts
 * import type { EventGridSchema } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const schema: EventGridSchema = "CloudEvent";
 * assert.equal(schema, "CloudEvent");
 * ```
 */
export type EventGridSchema = "EventGrid" | "CloudEvent";

/**
 * One topic of an `EventGridPublisher`: where it is, how to
 * authenticate, and which schema it accepts. Give exactly one of `key`,
 * `sasToken` and `credential`.
 *
 * @example A topic with an access key, and a CloudEvents topic with Entra ID
 * ```ts
 * import type { EventGridTopicOptions } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const orders: EventGridTopicOptions = {
 *   endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events",
 *   key: "a2V5",
 * };
 * const audit: EventGridTopicOptions = {
 *   endpoint: "https://audit.westus2-1.eventgrid.azure.net/api/events",
 *   credential: { getToken: () => Promise.resolve(null) },
 *   schema: "CloudEvent",
 * };
 * assert.equal(orders.schema ?? "EventGrid", "EventGrid");
 * assert.equal(audit.schema, "CloudEvent");
 * ```
 */
export interface EventGridTopicOptions {
  /**
   * The topic's endpoint, `https://<topic>.<region>-1.eventgrid.azure.net/api/events`
   * (a domain's endpoint works too). Must be `https://`: the key, SAS token
   * or bearer token travels in a request header.
   */
  endpoint: string;
  /**
   * An access key of the topic (sent as the `aeg-sas-key` header), as a
   * string or an `AzureKeyCredential` (which can be rotated with `update`).
   * @default {undefined}
   */
  key?: string | KeyCredential;
  /**
   * A shared access signature (sent as the `aeg-sas-token` header), as a
   * string (for example from the SDK's `generateSharedAccessSignature`) or an
   * `AzureSASCredential`.
   * @default {undefined}
   */
  sasToken?: string | SASCredential;
  /**
   * A `TokenCredential` (Entra ID; scope `https://eventgrid.azure.net/.default`),
   * or any credential the SDK's `EventGridPublisherClient` takes
   * (`AzureKeyCredential`, `AzureSASCredential`).
   * @default {undefined}
   */
  credential?: TokenCredential | KeyCredential | SASCredential;
  /**
   * The schema the topic accepts; it decides the shape of the events that
   * `send` and `emitEvent` take for this topic.
   * @default {"EventGrid"}
   */
  schema?: EventGridSchema;
  /**
   * Passed to the SDK's `EventGridPublisherClient` (its names and units:
   * `retryOptions.maxRetries`, `retryDelayInMs`, `tlsOptions`, `agent`,
   * `additionalPolicies`, ...). Without `agent` the publisher makes one
   * keep-alive `https.Agent` for the topic (with `tlsOptions`, if given) and
   * destroys it on `close()`; an `agent` given here is yours to destroy.
   * @default {{}}
   */
  clientOptions?: EventGridPublisherClientOptions;
}

/**
 * Options of `EventGridPublisher`.
 *
 * @typeParam Topic The topic names.
 *
 * @example Two topics and a tighter timeout
 * ```ts
 * import type { EventGridPublisherOptions } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const options: EventGridPublisherOptions<"orders" | "audit"> = {
 *   topics: {
 *     orders: { endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events", key: "a2V5" },
 *     audit: { endpoint: "https://audit.westus2-1.eventgrid.azure.net/api/events", sasToken: "r=...&e=...&s=..." },
 *   },
 *   operationTimeoutSeconds: 10,
 * };
 * assert.deepEqual(Object.keys(options.topics), ["orders", "audit"]);
 * ```
 */
export interface EventGridPublisherOptions<Topic extends string = string> {
  /** The topics by the names that `send` and `emitEvent` take (at least one). */
  topics: Readonly<Record<Topic, EventGridTopicOptions>>;
  /**
   * The longest one request of a send may take, the SDK's retries
   * included; then the send rejects with `OperationTimeout`. Bounds a send
   * to an endpoint that accepts connections and never answers (the SDK
   * itself waits forever).
   * @default {30}
   */
  operationTimeoutSeconds?: number;
}

/**
 * Options of one `send` or `emitEvent`.
 *
 * @example Cancelling a send
 * ```ts
 * import type { EventGridSendOptions } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const options: EventGridSendOptions = { abortSignal: AbortSignal.timeout(5_000) };
 * assert.equal(options.abortSignal?.aborted, false);
 * ```
 */
export interface EventGridSendOptions {
  /**
   * Cancels the send: requests not yet answered are aborted and the call
   * rejects with the signal's reason. Requests already answered stay sent.
   * @default {undefined}
   */
  abortSignal?: AbortSignal;
  /**
   * The channel of a partner topic (the SDK's `channelName`, sent as the
   * `aeg-channel-name` header); CloudEvent topics only.
   * @default {undefined}
   */
  channelName?: string;
}

/**
 * What `emitEvent` takes for a topic in the Event Grid schema: the SDK's
 * `SendEventGridEventInput` whose `dataVersion` may be left out (`"v1"`,
 * the Python toolbox's default). `id` and `eventTime` are filled when left
 * out. `data` must be an object.
 *
 * @example An event with only what `emitEvent` needs
 * ```ts
 * import type { EmitEventGridEventInput } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const event: EmitEventGridEventInput = { eventType: "Orders.Placed", subject: "orders/1", data: { id: 1 } };
 * assert.equal(event.dataVersion, undefined);
 * ```
 */
export type EmitEventGridEventInput =
  & Omit<SendEventGridEventInput<unknown>, "dataVersion">
  & {
    /**
     * The schema version of `data`.
     * @default {"v1"}
     */
    dataVersion?: string;
  };

/**
 * What `emitEvent` takes: for an Event Grid topic an
 * {@linkcode EmitEventGridEventInput}, for a CloudEvent topic the SDK's
 * `SendCloudEventInput` (`id` and `time` are filled when left out).
 *
 * @example An Event Grid event and a CloudEvent
 * ```ts
 * import type { EmitEventInput } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const events: EmitEventInput[] = [
 *   { eventType: "Orders.Placed", subject: "orders/1", data: { id: 1 } },
 *   { type: "Orders.Placed", source: "/orders", data: { id: 1 } },
 * ];
 * assert.equal(events.length, 2);
 * ```
 */
export type EmitEventInput =
  | EmitEventGridEventInput
  | SendCloudEventInput<unknown>;

/**
 * What `send` takes: the SDK's input shapes, `SendEventGridEventInput` for
 * an Event Grid topic and `SendCloudEventInput` for a CloudEvent topic.
 *
 * @example An event as the SDK's `send` takes it
 * ```ts
 * import type { SendEventInput } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const event: SendEventInput = {
 *   eventType: "Orders.Placed",
 *   subject: "orders/1",
 *   dataVersion: "1.0",
 *   data: { id: 1 },
 * };
 * assert.equal(event.dataVersion, "1.0");
 * ```
 */
export type SendEventInput =
  | SendEventGridEventInput<unknown>
  | SendCloudEventInput<unknown>;
