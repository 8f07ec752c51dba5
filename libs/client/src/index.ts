export {
  TaskflowClient,
  type ConnectionState,
  type ConnectionStatus,
  type RequestOptions,
  type SocketOptionsOverride,
  type StopRequest,
  type TaskflowClientOptions,
  type TaskflowSocket,
  type UntilAnsweredOptions,
} from './client';
export { TaskflowError, isNotFound } from './errors';
export { fetchHttp, type FetchHttpOptions, type HttpClient } from './http';
export { Store } from './store';
export { TaskFeed, type TaskFeedOptions, type TaskFeedState, type TaskFeedTrace, type Viewers } from './task-feed';
export {
  DashboardFeed,
  MAX_FRESH,
  type DashboardCounts,
  type DashboardFeedOptions,
  type DashboardFeedState,
  type DashboardFeedTrace,
} from './dashboard-feed';
export { FilteredDashboardFeed, FILTER_RELOAD_MIN_INTERVAL_MS, type FilteredDashboardState } from './filtered-dashboard-feed';
export { NotificationFeed, MAX_NOTIFICATIONS, type MarkRead, type NotificationFeedState } from './notification-feed';
export {
  applyEvent,
  fromSnapshot,
  prependOlder,
  sortByUpdate,
  upsertRow,
  type Applied,
  type EventAdded,
  type OlderPage,
  type TaskState,
  type TaskView,
} from './task-view';
export { throttledReload } from './throttled-reload';
export {
  EARLY_CLOSE_MS,
  EARLY_CLOSES_BEFORE_FALLBACK,
  TRANSPORT_STORAGE_KEY,
  TransportFallback,
  WEBSOCKET_RETRY_MAX_MS,
  WEBSOCKET_RETRY_MS,
  type TransportName,
  type TransportState,
  type TransportStorage,
  type TransportTrace,
} from './transport-fallback';
