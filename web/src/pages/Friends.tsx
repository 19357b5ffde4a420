// Friends and friend requests. The lists are re-read when `userEvents` says something changed
// (a request arrived, was accepted or withdrawn, a friend came online).

import { useEffect, useState, type FormEvent } from "react";
import { gql, useClient, useMutation, useQuery } from "urql";
import type { User } from "../lib/documents";
import { errorText } from "../lib/errors";

const FRIENDS = gql`
  query Friends {
    friends(first: 100) {
      nodes {
        id
        username
        tag
        isOnline
      }
    }
    incoming: friendRequests(direction: INCOMING) {
      id
      requester {
        id
        username
        tag
      }
    }
    outgoing: friendRequests(direction: OUTGOING) {
      id
      receiver {
        id
        username
        tag
      }
    }
  }
`;

const SEARCH_USERS = gql`
  query SearchUsers($query: String!) {
    searchUsers(query: $query, first: 20) {
      id
      username
      tag
      friendship
    }
  }
`;

const USER_EVENTS = gql`
  subscription UserEvents {
    userEvents {
      __typename
    }
  }
`;

const SEND = gql`
  mutation SendFriendRequest($userId: UUID!) {
    sendFriendRequest(userId: $userId) {
      id
    }
  }
`;
const ACCEPT = gql`
  mutation AcceptFriendRequest($requestId: UUID!) {
    acceptFriendRequest(requestId: $requestId) {
      id
    }
  }
`;
const DECLINE = gql`
  mutation DeclineFriendRequest($requestId: UUID!) {
    declineFriendRequest(requestId: $requestId)
  }
`;
const CANCEL = gql`
  mutation CancelFriendRequest($requestId: UUID!) {
    cancelFriendRequest(requestId: $requestId)
  }
`;
const REMOVE = gql`
  mutation RemoveFriend($userId: UUID!) {
    removeFriend(userId: $userId)
  }
`;

type Request = { id: string; requester?: User; receiver?: User };
type Data = { friends: { nodes: User[] }; incoming: Request[]; outgoing: Request[] };

const RELATION: Record<string, string> = {
  FRIENDS: "friends",
  REQUEST_SENT: "request sent",
  REQUEST_RECEIVED: "wants to be friends",
  SELF: "you",
};

export function Friends() {
  const client = useClient();
  const [{ data, error }, refetch] = useQuery<Data>({ query: FRIENDS });
  const [query, setQuery] = useState("");
  const [found, setFound] = useState<User[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [, send] = useMutation(SEND);
  const [, accept] = useMutation(ACCEPT);
  const [, decline] = useMutation(DECLINE);
  const [, cancel] = useMutation(CANCEL);
  const [, remove] = useMutation(REMOVE);

  const reload = () => refetch({ requestPolicy: "network-only" });

  useEffect(() => {
    const sub = client.subscription(USER_EVENTS, {}).subscribe((r) => {
      if (r.data) refetch({ requestPolicy: "network-only" });
    });
    return () => sub.unsubscribe();
  }, [client, refetch]);

  const act = async (p: Promise<{ error?: Parameters<typeof errorText>[0] }>) => {
    setProblem(null);
    const r = await p;
    if (r.error) setProblem(errorText(r.error));
    reload();
    if (found) void search();
  };

  const search = async (e?: FormEvent) => {
    e?.preventDefault();
    if (!query.trim()) return;
    const r = await client.query(SEARCH_USERS, { query: query.trim() }).toPromise();
    if (r.error) return setProblem(errorText(r.error));
    setFound((r.data?.searchUsers ?? []) as User[]);
  };

  return (
    <>
      <h1>Friends</h1>
      {error && <p role="alert">{errorText(error)}</p>}
      {problem && <p role="alert">{problem}</p>}
      <section aria-labelledby="find-h">
        <h2 id="find-h">Find people</h2>
        <form role="search" onSubmit={search}>
          <label>
            Username or tag
            <input type="search" value={query} onChange={(e) => setQuery(e.target.value)} />
          </label>{" "}
          <button type="submit">Search</button>
        </form>
        {found && (
          <ul aria-label="People found">
            {found.length === 0 && <li>Nobody found.</li>}
            {found.map((u) => (
              <li key={u.id}>
                {u.username} <span className="muted">({u.tag})</span>{" "}
                {u.friendship === "NONE" ? (
                  <button type="button" aria-label={`Add ${u.tag} as a friend`} onClick={() => void act(send({ userId: u.id }))}>
                    Add friend
                  </button>
                ) : (
                  <span className="muted">{RELATION[u.friendship ?? ""] ?? ""}</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="requests-h">
        <h2 id="requests-h">Friend requests</h2>
        <ul aria-label="Incoming friend requests">
          {data?.incoming.length === 0 && <li className="muted">No requests for you.</li>}
          {data?.incoming.map((r) => (
            <li key={r.id}>
              {r.requester?.username} <span className="muted">({r.requester?.tag})</span>{" "}
              <button type="button" aria-label={`Accept ${r.requester?.tag}`} onClick={() => void act(accept({ requestId: r.id }))}>
                Accept
              </button>{" "}
              <button type="button" aria-label={`Decline ${r.requester?.tag}`} onClick={() => void act(decline({ requestId: r.id }))}>
                Decline
              </button>
            </li>
          ))}
        </ul>
        <ul aria-label="Sent friend requests">
          {data?.outgoing.map((r) => (
            <li key={r.id}>
              To {r.receiver?.username} <span className="muted">({r.receiver?.tag})</span>{" "}
              <button type="button" aria-label={`Withdraw the request to ${r.receiver?.tag}`} onClick={() => void act(cancel({ requestId: r.id }))}>
                Withdraw
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="friends-h">
        <h2 id="friends-h">Your friends</h2>
        {data?.friends.nodes.length === 0 && <p className="muted">No friends yet: find people above.</p>}
        <ul aria-label="Friends">
          {data?.friends.nodes.map((u) => (
            <li key={u.id}>
              {u.username} <span className="muted">({u.tag})</span> · {u.isOnline ? "online" : "offline"}{" "}
              <button type="button" aria-label={`Remove ${u.tag} from friends`} onClick={() => void act(remove({ userId: u.id }))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
