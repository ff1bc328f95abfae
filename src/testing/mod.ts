/**
 * Helpers for testing code that uses this package.
 *
 * (Temporary placeholder written by the tooling task so that the `./testing`
 * export resolves; the testing helpers replace it.)
 *
 * @module
 */

export {};
