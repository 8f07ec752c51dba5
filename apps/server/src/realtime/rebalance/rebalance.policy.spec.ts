import { socketsToShed, type RebalanceSettings } from './rebalance.policy';

const settings: RebalanceSettings = { margin: 0.1, maxSharePerSecond: 0.01, minExcess: 10, intervalMs: 1000 };

describe('socketsToShed', () => {
  it('moves nothing on a balanced cluster, or within the margin', () => {
    expect(socketsToShed(1000, [1000, 1000], settings)).toBe(0);
    // mean 1033, ceiling 1136
    expect(socketsToShed(1100, [1000, 1000], settings)).toBe(0);
  });

  it('after a scale-out from 2 to 4 nodes, an old node moves 1 % of its sockets per second', () => {
    expect(socketsToShed(4000, [4000, 0, 0], settings)).toBe(40);
    expect(socketsToShed(4000, [4000, 0, 0], { ...settings, intervalMs: 500 })).toBe(20);
  });

  it('stops at the mean × (1 + margin), never below', () => {
    // mean 2100, ceiling 2310: ten to go, fewer than 1 % of 2,320
    expect(socketsToShed(2320, [2300, 1900, 1880], { ...settings, minExcess: 0 })).toBe(10);
  });

  it('moves at least one socket while it is above, however small the share', () => {
    expect(socketsToShed(40, [0], { ...settings, minExcess: 1 })).toBe(1);
  });

  it('leaves a handful above the mean alone (minExcess)', () => {
    // 3 nodes at 10, 10, 2: 10 is 2.7 above the mean of 7.3
    expect(socketsToShed(10, [10, 2], settings)).toBe(0);
    expect(socketsToShed(10, [10, 2], { ...settings, minExcess: 1 })).toBe(1);
  });

  it('does nothing when switched off or alone', () => {
    expect(socketsToShed(4000, [0], { ...settings, maxSharePerSecond: 0 })).toBe(0);
    expect(socketsToShed(4000, [], settings)).toBe(0);
  });
});
