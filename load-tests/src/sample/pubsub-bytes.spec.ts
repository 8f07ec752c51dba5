import { pubSubDelta } from './pubsub-bytes';

describe('pubSubDelta', () => {
  it('gives each node’s growth over the window', () => {
    expect(pubSubDelta({ 'a:1': 100, 'b:2': 50 }, { 'b:2': 80, 'a:1': 400 })).toEqual({ 'a:1': 300, 'b:2': 30 });
  });

  it('is null when a reading is missing, the nodes differ, or a counter went back (a node restarted)', () => {
    expect(pubSubDelta(null, { 'a:1': 1 })).toBeNull();
    expect(pubSubDelta({ 'a:1': 1 }, null)).toBeNull();
    expect(pubSubDelta({ 'a:1': 1 }, { 'a:1': 2, 'b:2': 3 })).toBeNull();
    expect(pubSubDelta({ 'a:1': 1, 'b:2': 3 }, { 'a:1': 2, 'c:3': 9 })).toBeNull();
    expect(pubSubDelta({ 'a:1': 10 }, { 'a:1': 2 })).toBeNull();
  });
});
