// Fakes for unit tests of controllers: an API that records every call, a recorder that keeps
// events, and a scriptable lister/watcher for informers.
export {
  RecordingApi,
  type CallMatch,
  type InjectedFailure,
  type RecordedCall,
  type RecordingApiOptions,
} from './recording-api.ts';
export { kstatusOf, type KStatus } from './kstatus.ts';
export { RecordingRecorder, type RecordedEvent } from './recording-recorder.ts';
export {
  FakeListerWatcher,
  FakeWatchStream,
  listPage,
  type StreamItem,
} from './fake-lister-watcher.ts';
