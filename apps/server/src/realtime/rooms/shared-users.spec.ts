import { SharedUsers, userRooms } from './shared-users';

const alice = { id: 'u-1', orgId: 'o-1', username: 'alice', name: 'Alice' };

describe('SharedUsers', () => {
  it('gives every socket of a user the same frozen object', () => {
    const users = new SharedUsers();
    const first = users.intern({ ...alice });
    const second = users.intern({ ...alice });
    expect(second).toBe(first);
    expect(first).toEqual(alice);
    expect(Object.isFrozen(first)).toBe(true);
    expect(users.size).toBe(1);
  });

  it('keeps users, sessions and changed claims apart', () => {
    const users = new SharedUsers();
    const token = users.intern({ ...alice });
    const session = users.intern({ ...alice, sessionId: 's-1' });
    const otherSession = users.intern({ ...alice, sessionId: 's-2' });
    const bob = users.intern({ ...alice, id: 'u-2', username: 'bob', name: 'Bob' });
    expect(new Set([token, session, otherSession, bob]).size).toBe(4);
    expect(session.sessionId).toBe('s-1');
    // A renamed user's new token: the new name, never the old object's.
    const renamed = users.intern({ ...alice, name: 'Alice B.' });
    expect(renamed.name).toBe('Alice B.');
    expect(users.intern({ ...alice, name: 'Alice B.' })).toBe(renamed);
    expect(token.name).toBe('Alice');
  });
});

describe('userRooms', () => {
  it('names the user and org rooms once per user object', () => {
    const user = new SharedUsers().intern({ ...alice });
    const names = userRooms(user);
    expect(names).toEqual({ user: 'user:u-1', org: 'org:o-1', dashboard: 'user-dashboard:u-1' });
    expect(userRooms(user)).toBe(names);
  });
});
