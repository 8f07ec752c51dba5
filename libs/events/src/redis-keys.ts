/**
 * Redis key prefix shared by the Socket.IO Redis adapter (server nodes) and the
 * Redis emitter (workers): their pub/sub channels are `<key>#/#…`. They must agree,
 * or workers' broadcasts reach no one. A value on the wire: never change it.
 */
export const SOCKET_IO_REDIS_KEY = 'taskflow-io';
