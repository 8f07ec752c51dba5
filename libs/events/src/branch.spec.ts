import { taskBranch } from './http.schema';

describe('taskBranch', () => {
  it('uses the first 13 characters of the task id', () => {
    expect(taskBranch('3f2b8c1e-8d9a-4c6b-9d1e-123456789abc')).toBe('taskflow/3f2b8c1e-8d9a');
  });

  it('rejects ids too short to name a branch', () => {
    expect(() => taskBranch('3f2b8c1e')).toThrow(RangeError);
  });
});
