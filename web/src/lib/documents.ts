// The GraphQL operations of the client, with the shapes it reads from them.

import { gql } from "@urql/core";

export type User = { id: string; username: string; tag: string; isOnline?: boolean; friendship?: string };
export type Artist = { id: string; name: string };
export type Track = {
  id: string;
  name: string;
  durationMs: number;
  streamUrl: string;
  isFavorite: boolean;
  artist: Artist;
};
export type Playback = {
  track: Track | null;
  isPlaying: boolean;
  positionMs: number;
  anchorTimeMs: number;
  version: number;
  waitingFor: User[];
};
export type Member = { user: User; role: "HOST" | "DJ" | "LISTENER"; isConnected: boolean };
export type QueueItem = { id: string; track: Track; addedBy: User };
export type Room = {
  id: string;
  name: string;
  visibility: "PUBLIC" | "FRIENDS" | "PRIVATE";
  controlMode: string;
  viewerRole: string | null;
  viewerCanControl: boolean;
  memberCount?: number;
  connectedCount?: number;
  host: User;
};
export type ChatMessage = { id: string; body: string; deleted: boolean; createdAt: string; author: User };
export type Playlist = { id: string; name: string; isPublic: boolean; trackCount: number };

const USER = gql`
  fragment UserBits on User {
    id
    username
    tag
  }
`;

export const TRACK = gql`
  fragment TrackBits on Track {
    id
    name
    durationMs
    streamUrl
    isFavorite
    artist {
      id
      name
    }
  }
`;

const PLAYBACK = gql`
  fragment PlaybackBits on PlaybackState {
    track {
      ...TrackBits
    }
    isPlaying
    positionMs
    anchorTimeMs
    version
    waitingFor {
      ...UserBits
    }
  }
  ${TRACK}
  ${USER}
`;

const MEMBER = gql`
  fragment MemberBits on RoomMember {
    user {
      ...UserBits
    }
    role
    isConnected
  }
  ${USER}
`;

const QUEUE = gql`
  fragment QueueBits on QueueItem {
    id
    track {
      ...TrackBits
    }
    addedBy {
      ...UserBits
    }
  }
  ${TRACK}
  ${USER}
`;

const ROOM = gql`
  fragment RoomBits on Room {
    id
    name
    visibility
    controlMode
    viewerRole
    viewerCanControl
    memberCount
    connectedCount
    host {
      ...UserBits
    }
  }
  ${USER}
`;

const MESSAGE = gql`
  fragment MessageBits on ChatMessage {
    id
    body
    deleted
    createdAt
    author {
      ...UserBits
    }
  }
  ${USER}
`;

const AUTH = gql`
  fragment AuthBits on AuthPayload {
    accessToken
    refreshToken
    expiresIn
    user {
      ...UserBits
    }
  }
  ${USER}
`;

export const LOGIN = gql`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      __typename
      ... on AuthPayload {
        ...AuthBits
      }
      ... on TwoFactorChallenge {
        challengeToken
      }
    }
  }
  ${AUTH}
`;

export const REGISTER = gql`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      ...AuthBits
    }
  }
  ${AUTH}
`;

export const VERIFY_TWO_FACTOR = gql`
  mutation VerifyTwoFactor($challengeToken: String!, $code: String!) {
    verifyTwoFactor(challengeToken: $challengeToken, code: $code) {
      ...AuthBits
    }
  }
  ${AUTH}
`;

export const ROOMS = gql`
  query Rooms {
    rooms(first: 50) {
      nodes {
        ...RoomBits
      }
    }
  }
  ${ROOM}
`;

export const CREATE_ROOM = gql`
  mutation CreateRoom($input: CreateRoomInput!) {
    createRoom(input: $input) {
      id
    }
  }
`;

export const ROOM_QUERY = gql`
  query Room($id: UUID!) {
    room(id: $id) {
      ...RoomBits
    }
  }
  ${ROOM}
`;

export const JOIN_ROOM = gql`
  mutation JoinRoom($roomId: UUID!) {
    joinRoom(roomId: $roomId) {
      ...RoomBits
    }
  }
  ${ROOM}
`;

export const LEAVE_ROOM = gql`
  mutation LeaveRoom($roomId: UUID!) {
    leaveRoom(roomId: $roomId)
  }
`;

export const ROOM_EVENTS = gql`
  subscription RoomEvents($roomId: UUID!) {
    roomEvents(roomId: $roomId) {
      __typename
      ... on RoomSnapshot {
        room {
          ...RoomBits
        }
        playback {
          ...PlaybackBits
        }
        queue {
          ...QueueBits
        }
        members {
          ...MemberBits
        }
        typing {
          ...UserBits
        }
      }
      ... on MemberJoined {
        member {
          ...MemberBits
        }
      }
      ... on MemberLeft {
        user {
          ...UserBits
        }
        kicked
      }
      ... on PresenceChanged {
        user {
          ...UserBits
        }
        isConnected
      }
      ... on PlaybackChanged {
        playback {
          ...PlaybackBits
        }
      }
      ... on QueueChanged {
        queue {
          ...QueueBits
        }
      }
      ... on ChatMessagePosted {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageEdited {
        message {
          ...MessageBits
        }
      }
      ... on ChatMessageDeleted {
        message {
          ...MessageBits
        }
      }
      ... on TypingChanged {
        user {
          ...UserBits
        }
        isTyping
      }
      ... on HostChanged {
        host {
          ...UserBits
        }
      }
      ... on MemberRoleChanged {
        member {
          ...MemberBits
        }
      }
      ... on RoomUpdated {
        room {
          ...RoomBits
        }
      }
      ... on RoomClosed {
        roomId
      }
    }
  }
  ${ROOM}
  ${PLAYBACK}
  ${QUEUE}
  ${MEMBER}
  ${MESSAGE}
`;

export const ROOM_MESSAGES = gql`
  query RoomMessages($roomId: UUID!) {
    roomMessages(roomId: $roomId, last: 50) {
      nodes {
        ...MessageBits
      }
    }
  }
  ${MESSAGE}
`;

export const ROOM_PLAY = gql`
  mutation RoomPlay($roomId: UUID!, $trackId: UUID) {
    roomPlay(roomId: $roomId, trackId: $trackId) {
      version
    }
  }
`;
export const ROOM_PAUSE = gql`
  mutation RoomPause($roomId: UUID!) {
    roomPause(roomId: $roomId) {
      version
    }
  }
`;
export const ROOM_SEEK = gql`
  mutation RoomSeek($roomId: UUID!, $positionMs: Int!) {
    roomSeek(roomId: $roomId, positionMs: $positionMs) {
      version
    }
  }
`;
export const ROOM_SKIP = gql`
  mutation RoomSkip($roomId: UUID!) {
    roomSkip(roomId: $roomId) {
      version
    }
  }
`;
export const ENQUEUE = gql`
  mutation Enqueue($roomId: UUID!, $trackId: UUID!) {
    enqueueTrack(roomId: $roomId, trackId: $trackId) {
      id
    }
  }
`;
export const REMOVE_QUEUE_ITEM = gql`
  mutation RemoveQueueItem($roomId: UUID!, $itemId: UUID!) {
    removeQueueItem(roomId: $roomId, itemId: $itemId) {
      id
    }
  }
`;
export const SEND_MESSAGE = gql`
  mutation SendRoomMessage($roomId: UUID!, $body: String!) {
    sendRoomMessage(roomId: $roomId, body: $body) {
      id
    }
  }
`;
export const SET_TYPING = gql`
  mutation SetTyping($roomId: UUID!, $isTyping: Boolean!) {
    setTyping(roomId: $roomId, isTyping: $isTyping)
  }
`;
export const REPORT_LATENCY = gql`
  mutation ReportLatency($roomId: UUID!, $rttMs: Int!) {
    reportLatency(roomId: $roomId, rttMs: $rttMs)
  }
`;
export const REPORT_STATUS = gql`
  mutation ReportPlaybackStatus($roomId: UUID!, $trackId: UUID!, $status: MemberPlaybackStatus!) {
    reportPlaybackStatus(roomId: $roomId, trackId: $trackId, status: $status) {
      version
    }
  }
`;

export const SEARCH_TRACKS = gql`
  query SearchTracks($search: String, $first: Int) {
    tracks(search: $search, first: $first) {
      nodes {
        ...TrackBits
      }
      totalCount
    }
  }
  ${TRACK}
`;

// Accounts by email: the pages mailed links open, and the account page.

export const VERIFY_EMAIL = gql`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) {
      id
      email
      emailVerified
    }
  }
`;

export const CONFIRM_EMAIL_CHANGE = gql`
  mutation ConfirmEmailChange($token: String!) {
    confirmEmailChange(token: $token) {
      id
      email
      emailVerified
    }
  }
`;

export const REQUEST_PASSWORD_RESET = gql`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`;

export const RESET_PASSWORD = gql`
  mutation ResetPassword($token: String!, $newPassword: String!, $code: String) {
    resetPassword(token: $token, newPassword: $newPassword, code: $code) {
      ...AuthBits
    }
  }
  ${AUTH}
`;

export const ACCOUNT = gql`
  query Account {
    me {
      id
      email
      emailVerified
    }
  }
`;

export const RESEND_VERIFICATION = gql`
  mutation ResendVerification {
    resendVerificationEmail
  }
`;

export const CHANGE_PASSWORD = gql`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`;

export const CHANGE_EMAIL = gql`
  mutation ChangeEmail($newEmail: String!, $password: String!) {
    changeEmail(newEmail: $newEmail, password: $password)
  }
`;
