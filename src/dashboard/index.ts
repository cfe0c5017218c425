export {
  LiveFeed,
  type FeedClient,
  type FeedSink,
  type FeedSource,
  type LiveReading,
  type LiveFeedOptions,
} from './feed.js';
export { sseClient } from './sse.js';
export { isDashboardAsset, passesWithoutToken, serveAsset } from './assets.js';
