// A group name or number as a gid, for the API socket's group. Node has no
// getgrnam(3); /etc/group (group(5)) is what it reads for local groups.
import { readFile } from 'node:fs/promises';

/** "vxswitch" or "1001" -> 1001; throws naming the group when it is unknown. */
export async function groupId(group: string, groupFile = '/etc/group'): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const text = await readFile(groupFile, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`[api] socket-group "${group}": no such group in ${groupFile}`);
}
