// The keys EVS's pool backends lock their operations by (see controllers/concurrency).
/** Lock keys: a volume and its snapshots share one; an image has its own. */
export const volumeKey = (uid: string): string => `vol:${uid}`;
export const imageKey = (uid: string): string => `img:${uid}`;
