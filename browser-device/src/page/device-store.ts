// The device's persistent record in IndexedDB: its settings, its data (a demo split or the user's file), its
// private training state and whether the user stopped it. A reloaded page reads it and carries on.

import type { DevicePrivateState } from '@strata/tasks/browser';
import type { DeviceProgress, DeviceSettings } from './worker-messages.js';

export interface DeviceRecord {
  readonly settings: DeviceSettings;
  readonly data: unknown;
  readonly state: DevicePrivateState | null;
  readonly progress: DeviceProgress | null;
  readonly stopped: boolean;
}

const DATABASE = 'strata-device';
const STORE = 'device';
const KEY = 'current';

/** One connection for the page's life. */
let database: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  database ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return database;
}

function transact<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = () => reject(transaction.error);
      }),
  );
}

export function loadRecord(): Promise<DeviceRecord | undefined> {
  return transact('readonly', (store) => store.get(KEY) as IDBRequest<DeviceRecord | undefined>);
}

export async function saveRecord(record: DeviceRecord): Promise<void> {
  await transact('readwrite', (store) => store.put(record, KEY));
}

export async function clearRecord(): Promise<void> {
  await transact('readwrite', (store) => store.delete(KEY));
}
