'use client';

import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import type { TZone } from '@tripcast/model';
import { useTRPC } from '~/trpc/react';
import { Input, Label, Select } from './ui/form';

export type TZoneIndex = {
  zones: TZone[] | null;
  byId: Map<number, TZone>;
  label(id: number | null | undefined): string;
};

/** The zone table (null zones when none is configured) and a label function for tables. */
export function useZoneIndex(): TZoneIndex {
  const trpc = useTRPC();
  const { data } = useQuery({ ...trpc.predictions.zones.queryOptions(), staleTime: Infinity });
  return useMemo(() => {
    const zones = data?.zones ?? null;
    const byId = new Map((zones ?? []).map((z) => [z.locationId, z]));
    return {
      zones,
      byId,
      label(id) {
        if (id == null) return '—';
        const z = byId.get(id);
        return z ? `${z.zone} (${z.borough})` : `Zone ${id}`;
      },
    };
  }, [data]);
}

export function ZoneLabel({ id, index }: { id: number | null | undefined; index: TZoneIndex }) {
  const z = id == null ? undefined : index.byId.get(id);
  if (!z) return <span>{id ?? '—'}</span>;
  return (
    <span title={`${z.borough} · ${z.serviceZone} · LocationID ${z.locationId}`}>
      {z.zone} <span className="text-muted-foreground">· {id}</span>
    </span>
  );
}

/**
 * Pick a TLC zone by Borough, then Zone; with no zone table configured, type the LocationID.
 * Native selects keep it fully keyboard-usable (type-ahead included).
 */
export function ZonePicker({
  id,
  label,
  value,
  onChange,
  index,
}: {
  id: string;
  label: string;
  value: number | null;
  onChange: (zoneId: number | null) => void;
  index: TZoneIndex;
}) {
  const boroughs = useMemo(
    () => [...new Set((index.zones ?? []).map((z) => z.borough))].sort(),
    [index.zones],
  );
  const selected = value == null ? undefined : index.byId.get(value);
  const borough = selected?.borough ?? '';
  const inBorough = useMemo(
    () =>
      (index.zones ?? [])
        .filter((z) => z.borough === borough)
        .sort((a, b) => a.zone.localeCompare(b.zone)),
    [index.zones, borough],
  );

  if (!index.zones) {
    return (
      <div>
        <Label htmlFor={id}>{label} (LocationID)</Label>
        <Input
          id={id}
          type="number"
          min={1}
          max={265}
          value={value ?? ''}
          onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
        />
      </div>
    );
  }

  return (
    <fieldset>
      <legend className="mb-1 text-xs font-medium">{label}</legend>
      <div className="grid grid-cols-[10rem_1fr] gap-2">
        <Select
          id={`${id}-borough`}
          aria-label={`${label} borough`}
          value={borough}
          onChange={(e) => {
            const first = (index.zones ?? [])
              .filter((z) => z.borough === e.target.value)
              .sort((a, b) => a.zone.localeCompare(b.zone))[0];
            onChange(first?.locationId ?? null);
          }}
        >
          <option value="" disabled>
            Borough…
          </option>
          {boroughs.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </Select>
        <Select
          id={id}
          aria-label={`${label} zone`}
          value={value ?? ''}
          disabled={!borough}
          onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
        >
          <option value="" disabled>
            Zone…
          </option>
          {inBorough.map((z) => (
            <option key={z.locationId} value={z.locationId}>
              {z.zone} ({z.locationId})
            </option>
          ))}
        </Select>
      </div>
    </fieldset>
  );
}

/** A zone filter for tables: any zone, by name when the table is configured. */
export function ZoneFilter({
  id,
  value,
  onChange,
  index,
}: {
  id: string;
  value: number | null;
  onChange: (v: number | null) => void;
  index: TZoneIndex;
}) {
  if (!index.zones) {
    return (
      <Input
        id={id}
        type="number"
        min={1}
        max={265}
        placeholder="Any zone"
        value={value ?? ''}
        onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
      />
    );
  }
  const sorted = [...index.zones].sort(
    (a, b) => a.borough.localeCompare(b.borough) || a.zone.localeCompare(b.zone),
  );
  return (
    <Select
      id={id}
      value={value ?? ''}
      onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))}
    >
      <option value="">Any zone</option>
      {sorted.map((z) => (
        <option key={z.locationId} value={z.locationId}>
          {z.borough} · {z.zone} ({z.locationId})
        </option>
      ))}
    </Select>
  );
}
